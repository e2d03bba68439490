/* Leaves with _exit (or _Exit with an argument): no destructors run, yet
 * the process exited, it was not killed. */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (socket(AF_INET, SOCK_DGRAM, 0) < 0)
		return 1;
	if (argc > 1)
		_Exit(3);
	_exit(0);
}
