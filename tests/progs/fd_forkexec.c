/* fork + exec of helpers: a child that only execs leaves no log of its own
 * (the parent's log has the fork), a child that made a socket first keeps
 * its log.  Each exec'd /bin/true writes its own log. */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_helper(int make_socket)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (make_socket && socket(AF_INET, SOCK_DGRAM, 0) < 0)
			_exit(2);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(void)
{
	int bad = run_helper(0) + run_helper(1);
	printf("helpers %s\n", bad ? "failed" : "ok");
	return bad;
}
