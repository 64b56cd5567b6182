/* netconf.c: interface addresses, routes, neighbours, qdiscs and sysctls
 * (the LKL network-configuration API), spoken as rtnetlink to the kernel. */
#include <stdio.h>
#include <string.h>

#include <lkl.h>
#include <lkl/linux/if_addr.h>
#include <lkl/linux/neighbour.h>
#include <lkl/linux/pkt_sched.h>
#include <lkl/linux/rtnetlink.h>

#include "parse.h"

/* One request message: header, family-specific body, then attributes. */
struct nl_req {
	struct lkl_nlmsghdr hdr;
	char body[512];
};

_Static_assert(sizeof(struct lkl_nlmsghdr) == LKL_NLMSG_HDRLEN, "the body follows the header directly");

static void *nl_body(struct nl_req *r, unsigned int size)
{
	r->hdr.nlmsg_len = LKL_NLMSG_LENGTH(size);
	return (char *)r + LKL_NLMSG_HDRLEN; /* = r->body: the header needs no padding */
}

static int nl_attr(struct nl_req *r, unsigned short type, const void *data, unsigned int len)
{
	unsigned int at = LKL_NLMSG_ALIGN(r->hdr.nlmsg_len);
	struct lkl_rtattr *rta = (struct lkl_rtattr *)((char *)r + at);

	if (at + LKL_RTA_SPACE(len) > sizeof(*r))
		return -LKL_E2BIG;
	rta->rta_type = type;
	rta->rta_len = (unsigned short)LKL_RTA_LENGTH(len);
	memcpy((char *)r + at + LKL_RTA_LENGTH(0), data, len);
	r->hdr.nlmsg_len = at + LKL_RTA_SPACE(len);
	return 0;
}

/* Send a request that asks for an acknowledgement; return the kernel's verdict. */
static int nl_talk(struct nl_req *r)
{
	struct lkl_sockaddr_nl kernel = { .nl_family = LKL_AF_NETLINK };
	char buf[1024];
	long sock, n;
	int ret = -LKL_EPROTO;

	sock = lkl_sys_socket(LKL_AF_NETLINK, LKL_SOCK_RAW | LKL_SOCK_CLOEXEC, LKL_NETLINK_ROUTE);
	if (sock < 0)
		return (int)sock;
	r->hdr.nlmsg_flags |= LKL_NLM_F_REQUEST | LKL_NLM_F_ACK;
	r->hdr.nlmsg_seq = 1;
	n = lkl_sys_sendto(sock, r, r->hdr.nlmsg_len, 0, &kernel, sizeof(kernel));
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	n = lkl_sys_recvfrom(sock, buf, sizeof(buf), 0, NULL, NULL);
	if (n >= (long)LKL_NLMSG_LENGTH(sizeof(struct lkl_nlmsgerr))) {
		struct lkl_nlmsghdr *h = (struct lkl_nlmsghdr *)buf;

		if (h->nlmsg_type == LKL_NLMSG_ERROR)
			ret = ((struct lkl_nlmsgerr *)LKL_NLMSG_DATA(h))->error;
	} else if (n < 0) {
		ret = (int)n;
	}
out:
	lkl_sys_close(sock);
	return ret;
}

static unsigned int addr_len(int af)
{
	return af == LKL_AF_INET ? 4 : af == LKL_AF_INET6 ? 16 : 0;
}

static int if_ip(int add, int ifindex, int af, void *addr, unsigned int prefix)
{
	struct nl_req r = { .hdr.nlmsg_type = add ? LKL_RTM_NEWADDR : LKL_RTM_DELADDR };
	struct lkl_ifaddrmsg *ifa = nl_body(&r, sizeof(*ifa));
	unsigned int len = addr_len(af), flags = LKL_IFA_F_NODAD;

	if (!len || prefix > len * 8)
		return -LKL_EINVAL;
	if (add)
		r.hdr.nlmsg_flags = LKL_NLM_F_CREATE | LKL_NLM_F_EXCL;
	ifa->ifa_family = (unsigned char)af;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned int)ifindex;
	ifa->ifa_scope = 0;
	if (nl_attr(&r, LKL_IFA_LOCAL, addr, len) || nl_attr(&r, LKL_IFA_ADDRESS, addr, len) ||
	    nl_attr(&r, LKL_IFA_FLAGS, &flags, sizeof(flags)))
		return -LKL_E2BIG;
	return nl_talk(&r);
}

int lkl_if_add_ip(int ifindex, int af, void *addr, unsigned int netprefix_len)
{
	return if_ip(1, ifindex, af, addr, netprefix_len);
}

int lkl_if_del_ip(int ifindex, int af, void *addr, unsigned int netprefix_len)
{
	return if_ip(0, ifindex, af, addr, netprefix_len);
}

/* addr is in network byte order, as in LKL. */
int lkl_if_set_ipv4(int ifindex, unsigned int addr, unsigned int netmask_len)
{
	return if_ip(1, ifindex, LKL_AF_INET, &addr, netmask_len);
}

int lkl_if_set_ipv6(int ifindex, void *addr, unsigned int netprefix_len)
{
	return if_ip(1, ifindex, LKL_AF_INET6, addr, netprefix_len);
}

/* A default route through gateway gw in the main table. */
int lkl_add_gateway(int af, void *gw)
{
	struct nl_req r = { .hdr.nlmsg_type = LKL_RTM_NEWROUTE,
			    .hdr.nlmsg_flags = LKL_NLM_F_CREATE | LKL_NLM_F_EXCL };
	struct lkl_rtmsg *rtm = nl_body(&r, sizeof(*rtm));
	unsigned int len = addr_len(af);

	if (!len)
		return -LKL_EINVAL;
	rtm->rtm_family = (unsigned char)af;
	rtm->rtm_table = LKL_RT_TABLE_MAIN;
	rtm->rtm_protocol = LKL_RTPROT_BOOT;
	rtm->rtm_scope = LKL_RT_SCOPE_UNIVERSE;
	rtm->rtm_type = LKL_RTN_UNICAST;
	if (nl_attr(&r, LKL_RTA_GATEWAY, gw, len))
		return -LKL_E2BIG;
	return nl_talk(&r);
}

int lkl_set_ipv4_gateway(unsigned int addr)
{
	return lkl_add_gateway(LKL_AF_INET, &addr);
}

int lkl_set_ipv6_gateway(void *addr)
{
	return lkl_add_gateway(LKL_AF_INET6, addr);
}

/* A permanent neighbour entry: addr (IPv4 or IPv6) is at link address mac (6 bytes). */
int lkl_add_neighbor(int ifindex, int af, void *addr, void *mac)
{
	struct nl_req r = { .hdr.nlmsg_type = LKL_RTM_NEWNEIGH,
			    .hdr.nlmsg_flags = LKL_NLM_F_CREATE | LKL_NLM_F_REPLACE };
	struct lkl_ndmsg *nd = nl_body(&r, sizeof(*nd));
	unsigned int len = addr_len(af);

	if (!len)
		return -LKL_EINVAL;
	nd->ndm_family = (unsigned char)af;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = LKL_NUD_PERMANENT;
	if (nl_attr(&r, LKL_NDA_DST, addr, len) || nl_attr(&r, LKL_NDA_LLADDR, mac, 6))
		return -LKL_E2BIG;
	return nl_talk(&r);
}

/* "root" or "MAJ:MIN" (hex, as tc writes handles) → a tc handle. */
static int parse_handle(const char *s, unsigned int *h)
{
	unsigned int maj = 0, min = 0;

	if (!strcmp(s, "root")) {
		*h = LKL_TC_H_ROOT;
		return 0;
	}
	/* "MAJ:" or "MAJ:MIN", hexadecimal, nothing after */
	if (lkl_parse_uint(&s, 16, &maj) || *s++ != ':' || (*s && lkl_parse_uint(&s, 16, &min)) || *s)
		return -LKL_EINVAL;
	if (maj > 0xffff || min > 0xffff)
		return -LKL_EINVAL;
	*h = (maj << 16) | min;
	return 0;
}

/* Attach a qdisc of kind type (e.g. "fq", "fq_codel") at parent root. */
int lkl_qdisc_add(int ifindex, const char *root, const char *type)
{
	struct nl_req r = { .hdr.nlmsg_type = LKL_RTM_NEWQDISC,
			    .hdr.nlmsg_flags = LKL_NLM_F_CREATE | LKL_NLM_F_REPLACE };
	struct lkl_tcmsg *tc = nl_body(&r, sizeof(*tc));
	unsigned int parent;

	if (!root || !type || parse_handle(root, &parent))
		return -LKL_EINVAL;
	tc->tcm_family = LKL_AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_parent = parent;
	tc->tcm_handle = parent == LKL_TC_H_ROOT ? 1u << 16 : 0;
	if (nl_attr(&r, LKL_TCA_KIND, type, (unsigned int)strlen(type) + 1))
		return -LKL_E2BIG;
	return nl_talk(&r);
}

/* "IFINDEX|root|type;..." is LKL's list form; entries are "root|type" here, on ifindex. */
void lkl_qdisc_parse_add(int ifindex, const char *entries)
{
	char buf[256], *save = NULL, *e;

	if (!entries || strlen(entries) >= sizeof(buf))
		return;
	strcpy(buf, entries);
	for (e = strtok_r(buf, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		char *type = strchr(e, '|');

		if (!type)
			continue;
		*type++ = 0;
		lkl_qdisc_add(ifindex, e, type);
	}
}

/* Write value to /proc/sys/<path> (e.g. "net/ipv4/ip_forward"), mounting proc if needed. */
int lkl_sysctl(const char *path, const char *value)
{
	char file[256] = { 0 }; /* the kernel reads path strings a word at a time */
	long fd, n;
	int ret;

	if (!path || !value || snprintf(file, sizeof(file), "/proc/sys/%s", path) >= (int)sizeof(file))
		return -LKL_EINVAL;
	ret = lkl_mount_fs("proc");
	if (ret < 0)
		return ret;
	fd = lkl_sys_open(file, LKL_O_WRONLY | LKL_O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	n = lkl_sys_write(fd, value, strlen(value));
	lkl_sys_close(fd);
	return n < 0 ? (int)n : 0;
}

/* "path=value;path=value" */
void lkl_sysctl_parse_write(const char *sysctls)
{
	char buf[512], *save = NULL, *e;

	if (!sysctls || strlen(sysctls) >= sizeof(buf))
		return;
	strcpy(buf, sysctls);
	for (e = strtok_r(buf, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		char *v = strchr(e, '=');

		if (v) {
			*v++ = 0;
			lkl_sysctl(e, v);
		}
	}
}
