/*
 * fatfuse: a FUSE file system passing everything through to a backing directory, plus the FAT attribute ioctls
 * (FAT_IOCTL_GET_ATTRIBUTES / FAT_IOCTL_SET_ATTRIBUTES) that vfat has, the attributes kept in the backing file's
 * "user.fatfuse" xattr. casync reads and restores FAT attributes on FUSE file systems as on FAT ones, so this lets
 * the tests compare jcasync with casync on hidden/system/archive attributes where the kernel has no vfat.
 * Extended attributes themselves are not offered (as on vfat).
 *
 * Build: cc -O2 -o fatfuse fatfuse.c $(pkg-config --cflags --libs fuse3)
 * Use:   fatfuse BACKING MOUNTPOINT   (runs in the foreground until unmounted)
 *        fatfuse attr PATH [VALUE]    (sets the FAT attributes of PATH to VALUE, then prints them in hex; works on
 *                                      vfat too)
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <fuse.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/msdos_fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

static int base = -1;
static char base_path[PATH_MAX];

static const char *rel(const char *path) {
        return path[1] ? path + 1 : ".";
}

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
        (void) fi;
        return fstatat(base, rel(path), st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int ff_readlink(const char *path, char *buf, size_t size) {
        ssize_t n = readlinkat(base, rel(path), buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return 0;
}

static int ff_mknod(const char *path, mode_t mode, dev_t rdev) {
        return mknodat(base, rel(path), mode, rdev) < 0 ? -errno : 0;
}

static int ff_mkdir(const char *path, mode_t mode) {
        return mkdirat(base, rel(path), mode) < 0 ? -errno : 0;
}

static int ff_unlink(const char *path) {
        return unlinkat(base, rel(path), 0) < 0 ? -errno : 0;
}

static int ff_rmdir(const char *path) {
        return unlinkat(base, rel(path), AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int ff_symlink(const char *target, const char *path) {
        return symlinkat(target, base, rel(path)) < 0 ? -errno : 0;
}

static int ff_rename(const char *from, const char *to, unsigned int flags) {
        return renameat2(base, rel(from), base, rel(to), flags) < 0 ? -errno : 0;
}

static int ff_link(const char *from, const char *to) {
        return linkat(base, rel(from), base, rel(to), 0) < 0 ? -errno : 0;
}

static int ff_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
        if (fi)
                return fchmod(fi->fh, mode) < 0 ? -errno : 0;
        return fchmodat(base, rel(path), mode, 0) < 0 ? -errno : 0;
}

static int ff_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
        if (fi)
                return fchown(fi->fh, uid, gid) < 0 ? -errno : 0;
        return fchownat(base, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int ff_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
        int fd, r;
        if (fi)
                return ftruncate(fi->fh, size) < 0 ? -errno : 0;
        fd = openat(base, rel(path), O_WRONLY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        r = ftruncate(fd, size) < 0 ? -errno : 0;
        close(fd);
        return r;
}

static int ff_open(const char *path, struct fuse_file_info *fi) {
        int fd = openat(base, rel(path), fi->flags & ~O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        fi->fh = fd;
        return 0;
}

static int ff_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
        int fd = openat(base, rel(path), fi->flags | O_CREAT, mode);
        if (fd < 0)
                return -errno;
        fi->fh = fd;
        return 0;
}

static int ff_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
        ssize_t n = pread(fi->fh, buf, size, off);
        (void) path;
        return n < 0 ? -errno : (int) n;
}

static int ff_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
        ssize_t n = pwrite(fi->fh, buf, size, off);
        (void) path;
        return n < 0 ? -errno : (int) n;
}

static int ff_statfs(const char *path, struct statvfs *st) {
        (void) path;
        return fstatvfs(base, st) < 0 ? -errno : 0;
}

static int ff_release(const char *path, struct fuse_file_info *fi) {
        (void) path;
        close(fi->fh);
        return 0;
}

static int ff_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
        (void) path;
        return (datasync ? fdatasync(fi->fh) : fsync(fi->fh)) < 0 ? -errno : 0;
}

static int ff_opendir(const char *path, struct fuse_file_info *fi) {
        int fd = openat(base, rel(path), O_RDONLY | O_DIRECTORY);
        DIR *d;
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        fi->fh = (uint64_t) (uintptr_t) d;
        return 0;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
        DIR *d = (DIR *) (uintptr_t) fi->fh;
        struct dirent *e;
        (void) path;
        (void) off;
        (void) flags;
        rewinddir(d);
        while ((e = readdir(d)))
                if (filler(buf, e->d_name, NULL, 0, 0))
                        break;
        return 0;
}

static int ff_releasedir(const char *path, struct fuse_file_info *fi) {
        (void) path;
        closedir((DIR *) (uintptr_t) fi->fh);
        return 0;
}

static int ff_utimens(const char *path, const struct timespec ts[2], struct fuse_file_info *fi) {
        if (fi)
                return futimens(fi->fh, ts) < 0 ? -errno : 0;
        return utimensat(base, rel(path), ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int ff_ioctl(const char *path, unsigned int cmd, void *arg, struct fuse_file_info *fi, unsigned int flags,
                    void *data) {
        char full[PATH_MAX * 2];
        uint32_t attrs = 0;
        struct stat st;
        (void) arg;
        (void) fi;
        (void) flags;
        if (cmd != FAT_IOCTL_GET_ATTRIBUTES && cmd != FAT_IOCTL_SET_ATTRIBUTES)
                return -ENOTTY;
        snprintf(full, sizeof(full), "%s/%s", base_path, rel(path));
        if (lstat(full, &st) < 0)
                return -errno;
        if (cmd == FAT_IOCTL_GET_ATTRIBUTES) {
                if (lgetxattr(full, "user.fatfuse", &attrs, sizeof(attrs)) < 0 && errno != ENODATA)
                        return -errno;
                attrs &= ATTR_RO | ATTR_HIDDEN | ATTR_SYS | ATTR_ARCH;
                if (S_ISDIR(st.st_mode))
                        attrs |= ATTR_DIR;
                memcpy(data, &attrs, sizeof(attrs));
                return 0;
        }
        memcpy(&attrs, data, sizeof(attrs));
        attrs &= ATTR_RO | ATTR_HIDDEN | ATTR_SYS | ATTR_ARCH;
        return lsetxattr(full, "user.fatfuse", &attrs, sizeof(attrs), 0) < 0 ? -errno : 0;
}

static void *ff_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
        (void) conn;
        cfg->use_ino = 1;
        cfg->attr_timeout = 0;
        cfg->entry_timeout = 0;
        cfg->negative_timeout = 0;
        return NULL;
}

static const struct fuse_operations ops = {
        .init = ff_init,
        .getattr = ff_getattr,
        .readlink = ff_readlink,
        .mknod = ff_mknod,
        .mkdir = ff_mkdir,
        .unlink = ff_unlink,
        .rmdir = ff_rmdir,
        .symlink = ff_symlink,
        .rename = ff_rename,
        .link = ff_link,
        .chmod = ff_chmod,
        .chown = ff_chown,
        .truncate = ff_truncate,
        .open = ff_open,
        .create = ff_create,
        .read = ff_read,
        .write = ff_write,
        .statfs = ff_statfs,
        .release = ff_release,
        .fsync = ff_fsync,
        .opendir = ff_opendir,
        .readdir = ff_readdir,
        .releasedir = ff_releasedir,
        .utimens = ff_utimens,
        .ioctl = ff_ioctl,
};

static int attr(int argc, char *argv[]) {
        uint32_t a;
        int fd = open(argv[2], O_RDONLY | O_NOFOLLOW);
        if (fd < 0) {
                perror(argv[2]);
                return 1;
        }
        if (argc > 3) {
                a = (uint32_t) strtoul(argv[3], NULL, 0);
                if (ioctl(fd, FAT_IOCTL_SET_ATTRIBUTES, &a) < 0) {
                        perror("FAT_IOCTL_SET_ATTRIBUTES");
                        return 1;
                }
        }
        if (ioctl(fd, FAT_IOCTL_GET_ATTRIBUTES, &a) < 0) {
                perror("FAT_IOCTL_GET_ATTRIBUTES");
                return 1;
        }
        printf("0x%x\n", a);
        return 0;
}

int main(int argc, char *argv[]) {
        char *args[] = {argv[0], "-f", "-s", "-o", "fsname=fatfuse,default_permissions", argv[2], NULL};
        if (argc >= 3 && strcmp(argv[1], "attr") == 0)
                return attr(argc, argv);
        if (argc != 3) {
                fprintf(stderr, "usage: fatfuse BACKING MOUNTPOINT\n");
                return 2;
        }
        if (!realpath(argv[1], base_path)) {
                perror(argv[1]);
                return 1;
        }
        base = open(base_path, O_RDONLY | O_DIRECTORY);
        if (base < 0) {
                perror(argv[1]);
                return 1;
        }
        umask(0);
        return fuse_main(6, args, &ops, NULL);
}
