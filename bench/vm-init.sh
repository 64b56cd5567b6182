#!/bin/sh
# /init of the Linux-VM baseline of lunik bench boot and lunik bench nginx
# --platform hw (built by src/stages/vm-baseline.ts): Debian's kernel, busybox
# and Debian's nginx serving the same nginx.conf and page as the unikernel.
# The network is the unikernel's: 10.0.2.15/24, gateway 10.0.2.2.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# virtio-net-pci's drivers, dependencies first (the order the stage wrote)
while read -r m; do
	insmod "/lib/modules/$m.ko" || echo "vm-init: insmod $m failed"
done </lib/modules/load-order
ip link set lo up
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2
echo "vm-init: starting nginx"
# single process, as on the unikernel (daemon off, master_process off)
exec /usr/sbin/nginx -e stderr -c /etc/nginx/nginx.conf
