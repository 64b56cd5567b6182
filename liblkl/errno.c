/* errno.c: lkl_strerror and lkl_perror, the LKL error-message helpers. */
#include <stdio.h>
#include <string.h>

#include <lkl.h>
#include <lunik/hypercall.h>

/* Linux errno values 1..133 (the generic numbering every arch but a few uses). */
static const char *const messages[] = {
	[0] = "Success",
	[1] = "Operation not permitted",
	[2] = "No such file or directory",
	[3] = "No such process",
	[4] = "Interrupted system call",
	[5] = "I/O error",
	[6] = "No such device or address",
	[7] = "Argument list too long",
	[8] = "Exec format error",
	[9] = "Bad file descriptor",
	[10] = "No child processes",
	[11] = "Resource temporarily unavailable",
	[12] = "Out of memory",
	[13] = "Permission denied",
	[14] = "Bad address",
	[15] = "Block device required",
	[16] = "Device or resource busy",
	[17] = "File exists",
	[18] = "Invalid cross-device link",
	[19] = "No such device",
	[20] = "Not a directory",
	[21] = "Is a directory",
	[22] = "Invalid argument",
	[23] = "Too many open files in system",
	[24] = "Too many open files",
	[25] = "Inappropriate ioctl for device",
	[26] = "Text file busy",
	[27] = "File too large",
	[28] = "No space left on device",
	[29] = "Illegal seek",
	[30] = "Read-only file system",
	[31] = "Too many links",
	[32] = "Broken pipe",
	[33] = "Numerical argument out of domain",
	[34] = "Numerical result out of range",
	[35] = "Resource deadlock avoided",
	[36] = "File name too long",
	[37] = "No locks available",
	[38] = "Function not implemented",
	[39] = "Directory not empty",
	[40] = "Too many levels of symbolic links",
	[42] = "No message of desired type",
	[43] = "Identifier removed",
	[61] = "No data available",
	[62] = "Timer expired",
	[71] = "Protocol error",
	[74] = "Bad message",
	[75] = "Value too large for defined data type",
	[84] = "Invalid or incomplete multibyte or wide character",
	[88] = "Socket operation on non-socket",
	[89] = "Destination address required",
	[90] = "Message too long",
	[91] = "Protocol wrong type for socket",
	[92] = "Protocol not available",
	[93] = "Protocol not supported",
	[94] = "Socket type not supported",
	[95] = "Operation not supported",
	[96] = "Protocol family not supported",
	[97] = "Address family not supported by protocol",
	[98] = "Address already in use",
	[99] = "Cannot assign requested address",
	[100] = "Network is down",
	[101] = "Network is unreachable",
	[102] = "Network dropped connection on reset",
	[103] = "Software caused connection abort",
	[104] = "Connection reset by peer",
	[105] = "No buffer space available",
	[106] = "Transport endpoint is already connected",
	[107] = "Transport endpoint is not connected",
	[108] = "Cannot send after transport endpoint shutdown",
	[110] = "Connection timed out",
	[111] = "Connection refused",
	[112] = "Host is down",
	[113] = "No route to host",
	[114] = "Operation already in progress",
	[115] = "Operation now in progress",
	[116] = "Stale file handle",
	[122] = "Disk quota exceeded",
	[125] = "Operation canceled",
};

/* Accepts err as returned by lkl_sys_* (negative) or as a positive errno. */
const char *lkl_strerror(int err)
{
	unsigned int e = err < 0 ? (unsigned int)-err : (unsigned int)err;

	if (e < sizeof(messages) / sizeof(messages[0]) && messages[e])
		return messages[e];
	return "Unknown error";
}

void lkl_perror(char *msg, int err)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "%s: %s\n", msg ? msg : "lkl", lkl_strerror(err));
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (n > 0)
		lhc_putstr(line, (size_t)n);
}
