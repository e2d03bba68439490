/* Runs a command with its stdin, stdout and stderr on sockets, as Node's
 * spawn or systemd do: usage fd_socket_stdio COMMAND [ARGS...].  Exits with
 * the command's status. */
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sv[2];

	if (argc < 2 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		for (int fd = 0; fd < 3; fd++)
			if (dup2(sv[0], fd) < 0)
				_exit(2);
		close(sv[0]);
		close(sv[1]);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(sv[0]);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	close(sv[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
