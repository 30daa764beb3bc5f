// SPDX-License-Identifier: MIT
/* Disk images: open, size, OFD lock (blk.h). */
#define LOG_PREFIX "disk"
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/blk.h"
#include "vmm/core/errbuf.h"

int disk_file_lock(struct disk_file *f)
{
	struct flock fl = {
		.l_type = f->readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0,
	};

	if (f->fd < 0)
		return -EBADF;
	if (fcntl(f->fd, F_OFD_SETLK, &fl) < 0)
		return (errno == EAGAIN || errno == EACCES) ? -EBUSY : -errno;
	f->locked = true;
	return 0;
}

void disk_file_unlock(struct disk_file *f)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (f->fd >= 0 && f->locked)
		fcntl(f->fd, F_OFD_SETLK, &fl);
	f->locked = false;
}

int disk_file_open(struct disk_file *f, const char *path, bool readonly, bool direct, char *errbuf,
		   size_t errlen)
{
	struct stat st;
	int ret, flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0);

	if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path)) {
		ERR("disk path '%.64s...' is too long", path);
		return -ENAMETOOLONG;
	}
	f->readonly = readonly;
	f->direct = direct;
	f->locked = false;
	f->fd = open(path, flags);
	if (f->fd < 0) {
		ret = -errno;
		ERR("disk '%s': %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(f->fd, &st) < 0) {
		ret = -errno;
		ERR("disk '%s': %s", path, strerror(-ret));
		goto err;
	}
	if (S_ISREG(st.st_mode)) {
		f->size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(f->fd, BLKGETSIZE64, &f->size) < 0) {
			ret = -errno;
			ERR("disk '%s': cannot read its size: %s", path, strerror(-ret));
			goto err;
		}
	} else {
		ERR("disk '%s' is not a regular file or a block device", path);
		ret = -EINVAL;
		goto err;
	}
	if (f->size < BLK_SECTOR || f->size % BLK_SECTOR) {
		ERR("disk '%s': size %llu is not a non-zero multiple of 512 bytes", path, (unsigned long long)f->size);
		ret = -EINVAL;
		goto err;
	}
	ret = disk_file_lock(f);
	if (ret < 0) {
		if (ret == -EBUSY)
			ERR("disk '%s' is in use by another process (it holds the image's lock)", path);
		else
			ERR("disk '%s': cannot lock it: %s", path, strerror(-ret));
		goto err;
	}
	return 0;
err:
	close(f->fd);
	f->fd = -1;
	return ret;
}

void disk_file_close(struct disk_file *f)
{
	if (f->fd >= 0) {
		disk_file_unlock(f);
		close(f->fd);
	}
	f->fd = -1;
}
