// SPDX-License-Identifier: GPL-2.0
/* /dev/kestrel: the data-plane character device. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define MISC_MAJOR 10

TEST(is_misc_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/kestrel", &st)) TH_LOG("%s", strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
	/* Only root by default; README tells how to grant a group. */
	EXPECT_EQ(0600, st.st_mode & 0777);
}

TEST(open_close)
{
	int fd = open("/dev/kestrel", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, close(fd));
}

TEST(many_opens)
{
	int fds[64], i;

	for (i = 0; i < 64; i++) {
		fds[i] = open("/dev/kestrel", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]) TH_LOG("open %d: %s", i, strerror(errno));
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST(api_version)
{
	int fd = open("/dev/kestrel", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(KESTREL_API_VERSION, ioctl(fd, KESTREL_GET_API_VERSION, 0));
	close(fd);
}

TEST(unknown_ioctl)
{
	int fd = open("/dev/kestrel", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IO(KESTREL_IO, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(0xAE, 0x00), 0));	/* KVM_GET_API_VERSION */
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(unprivileged_open_refused)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open("/dev/kestrel", O_RDWR) < 0 && errno == EACCES ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
