/*
 * hello: the smallest lunik app. It prints a line, reads a file from its
 * root file system, and exits with the status given as its first argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
	struct utsname u;
	char line[256];
	FILE *f;
	int status = argc > 1 ? atoi(argv[1]) : 0;

	if (uname(&u) == 0)
		printf("hello from %s %s\n", u.sysname, u.release);
	f = fopen("/etc/hello.txt", "r");
	if (!f) {
		perror("hello: /etc/hello.txt");
		return 1;
	}
	while (fgets(line, sizeof(line), f))
		printf("hello.txt: %s", line);
	fclose(f);
	fprintf(stderr, "hello: exiting with status %d\n", status);
	return status;
}
