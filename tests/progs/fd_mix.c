/* Leaves two sockets open: a stream and a datagram one. */
#include <sys/socket.h>

int main(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0) < 0 || socket(AF_INET, SOCK_STREAM, 0) < 0;
}
