// Helpers shared by the scenario files of procs (procs.c).
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/types.h>

struct scenario {
	const char *name;
	void (*fn)(int argc, char **argv);
};

struct worker {
	const char *name;
	pthread_t th;
	pid_t tid;
	sem_t req, done;
	void (*fn)(struct worker *);
};

#include <time.h>

void say(const char *fmt, ...);
int sigtimedwait0(const sigset_t *set, siginfo_t *si, const struct timespec *ts);
const char *sn(int sig);
const char *setstr(const sigset_t *set);
sigset_t mkset(int n, ...);
const char *maskstr(void);
const char *pendstr(void);
const char *en(int e);
const char *res(long r);
const char *cn(int code);
void name_fd(int fd, const char *name);
const char *fdn(int fd);
const char *pidn(pid_t pid);
const char *siline(const siginfo_t *si);
int tkill_self(int sig);
int handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags, sigset_t mask);
const char *dispname(int sig);
void name_thread(pid_t tid, const char *name);
void record(int sig, siginfo_t *si, void *uc);
void collect(void);
void wstart(struct worker *w, const char *name);
void wrun(struct worker *w, void (*fn)(struct worker *));
void wwait(struct worker *w);
void wdo(struct worker *w, void (*fn)(struct worker *));
void wstop(struct worker *w);
int asleep_in(pid_t tid, int nr);
const char *waitstr(int st);
void waitline(const char *call, pid_t pid, int opts);
void own(int fd, int type, pid_t who, int sig);
void mkpipe(int p[2], const char *r, const char *w);
pid_t waiter(int qq[2], int once, int loud);
int asleep_pid(pid_t pid, int nr);

extern pid_t parent_pid, child_pid, child2_pid;
