using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Kakashi.Writers;

/// <summary>
/// A file opened for appending the way logs need it. On Linux it is <c>open(O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC)</c>
/// and plain <c>write(2)</c> calls: every write lands at the file's current end, so several writers and processes append to
/// one file without overwriting each other, and a file truncated by someone else (logrotate's copytruncate) is continued
/// at its new end with no hole of NUL bytes. Each call reports exactly how many bytes reached the file. Elsewhere it falls
/// back to a <see cref="FileStream"/> that seeks to the end before each write (appends from one process are safe; several
/// processes can interleave).
/// </summary>
internal sealed unsafe class AppendFile : IDisposable
{
    private readonly int _fd = -1;
    private readonly FileStream? _stream;

    private readonly byte[] _pathZ;

    private AppendFile(int fd, FileStream? stream, string path, byte[] pathZ)
    {
        _fd = fd;
        _stream = stream;
        Path = path;
        _pathZ = pathZ;
    }

    public string Path { get; }

    /// <summary>Opens (creating with <paramref name="mode"/> when missing) <paramref name="path"/> for appending.</summary>
    /// <exception cref="UnauthorizedAccessException">The path is a symbolic link owned by another user (see <see cref="CheckSymlink"/>).</exception>
    public static AppendFile Open(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsLinux())
        {
            CheckSymlink(path);
            int fd;
            byte[] pathZ = Utf8Z(path);
            fixed (byte* p = pathZ)
            {
                do fd = Native.open(p, Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND | Native.O_CLOEXEC, (uint)mode);
                while (fd < 0 && Marshal.GetLastPInvokeError() == Native.EINTR);
            }
            if (fd < 0) throw Error(Marshal.GetLastPInvokeError(), $"open '{path}'");
            return new AppendFile(fd, null, path, pathZ);
        }
        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        return new AppendFile(-1, new FileStream(path, options), path, []);
    }

    /// <summary>The file's size now (what this and any other writer appended; smaller after someone truncated it).</summary>
    public long Length
    {
        get
        {
            if (_stream is not null) return _stream.Length;
            Native.Statx info;
            fixed (byte* empty = "\0"u8)
            {
                if (Native.statx(_fd, empty, Native.AT_EMPTY_PATH, Native.STATX_SIZE, &info) != 0) throw Error(Marshal.GetLastPInvokeError(), $"statx '{Path}'");
            }
            return (long)info.Size;
        }
    }

    /// <summary>
    /// Whether <see cref="Path"/> still names the file this one has open (external rotation moves or deletes it): compares
    /// the open file's device and inode with those of the path (<c>statx</c> on the descriptor and on the path, following
    /// links). No allocation on Linux. <paramref name="length"/> is the open file's size.
    /// </summary>
    public FileIdentity CheckPath(out long length)
    {
        if (_stream is not null)
        {
            length = _stream.Length;
            return File.Exists(Path) ? FileIdentity.Same : FileIdentity.Moved; // no cheap identity check: only a missing path is noticed
        }
        Native.Statx open, named;
        fixed (byte* empty = "\0"u8)
        {
            if (Native.statx(_fd, empty, Native.AT_EMPTY_PATH, Native.STATX_INO | Native.STATX_NLINK | Native.STATX_SIZE, &open) != 0)
            {
                length = 0;
                return FileIdentity.Unknown;
            }
        }
        length = (long)open.Size;
        if (open.Nlink == 0) return FileIdentity.Deleted;
        fixed (byte* p = _pathZ)
        {
            if (Native.statx(Native.AT_FDCWD, p, 0, Native.STATX_INO, &named) != 0) return FileIdentity.Moved; // the path is gone, the file lives on under another name
        }
        return named.Inode == open.Inode && named.DevMajor == open.DevMajor && named.DevMinor == open.DevMinor ? FileIdentity.Same : FileIdentity.Moved;
    }

    /// <summary>
    /// Refuses a symbolic link at the log path that belongs to neither the current user nor root: in a shared, writable log
    /// folder another user could otherwise point the application's log at a file of the application's (the attack
    /// Linux's <c>fs.protected_symlinks</c> blocks in sticky folders). Links the user or root made are followed.
    /// </summary>
    private static void CheckSymlink(string path)
    {
        Native.Statx info;
        fixed (byte* p = Utf8Z(path))
        {
            if (Native.statx(Native.AT_FDCWD, p, Native.AT_SYMLINK_NOFOLLOW, Native.STATX_UID | Native.STATX_MODE, &info) != 0) return; // missing: open creates it
        }
        if ((info.Mode & 0xF000) != 0xA000) return; // not a symbolic link
        uint me = Native.geteuid();
        if (info.Uid != me && info.Uid != 0)
            throw new UnauthorizedAccessException($"The log path '{path}' is a symbolic link owned by user {info.Uid}, not by this process's user ({me}) or root: refusing to follow it.");
    }

    /// <summary>One write: the number of bytes the file took (a short count when the disk fills). Throws <see cref="IOException"/> when it took none.</summary>
    public int Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return 0;
        if (_stream is not null)
        {
            _stream.Seek(0, SeekOrigin.End);
            _stream.Write(bytes);
            return bytes.Length;
        }
        while (true)
        {
            nint n;
            fixed (byte* p = bytes) n = Native.write(_fd, p, (nuint)bytes.Length);
            if (n >= 0) return (int)n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.EINTR) continue;
            throw Error(errno, $"write '{Path}'");
        }
    }

    /// <summary>
    /// Takes back the last <paramref name="bytes"/> bytes this file wrote, if they are still the file's last bytes (no other
    /// writer appended since): how a record torn by a full disk is cut back. False when it cannot tell or cannot cut.
    /// </summary>
    public bool TryCutTail(long bytes)
    {
        if (_stream is not null || bytes <= 0) return bytes == 0;
        long end = Native.lseek(_fd, 0, Native.SEEK_CUR); // with O_APPEND: just past this file's last write
        Native.Statx info;
        fixed (byte* empty = "\0"u8)
        {
            if (end < bytes || Native.statx(_fd, empty, Native.AT_EMPTY_PATH, Native.STATX_SIZE, &info) != 0) return false;
        }
        if ((long)info.Size != end) return false; // someone appended after us: the torn record is completed instead
        return Native.ftruncate(_fd, end - bytes) == 0;
    }

    /// <summary>Makes the written bytes durable on the device.</summary>
    public void Sync()
    {
        if (_stream is not null)
        {
            _stream.Flush(flushToDisk: true);
            return;
        }
        if (Native.fsync(_fd) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Native.EINVAL) throw Error(errno, $"fsync '{Path}'"); // EINVAL: the file system cannot sync (a pipe, /dev/full)
        }
    }

    public void Dispose()
    {
        if (_stream is not null) _stream.Dispose();
        else if (_fd >= 0) _ = Native.close(_fd); // nothing is buffered in the kernel that close could still fail to write
    }

    private static byte[] Utf8Z(string path) => System.Text.Encoding.UTF8.GetBytes(path + "\0");

    private static IOException Error(int errno, string what)
        => new($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);

    /// <summary>Linux system calls (glibc). <c>statx</c> has the same layout on every architecture.</summary>
    private static class Native
    {
        public const int O_WRONLY = 0x1, O_CREAT = 0x40, O_APPEND = 0x400, O_CLOEXEC = 0x80000;
        public const int EINTR = 4, EINVAL = 22;
        public const int SEEK_CUR = 1;
        public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
        public const uint STATX_NLINK = 0x4, STATX_MODE = 0x2, STATX_UID = 0x8, STATX_INO = 0x100, STATX_SIZE = 0x200;

        [StructLayout(LayoutKind.Explicit, Size = 256)]
        public struct Statx
        {
            [FieldOffset(16)] public uint Nlink;
            [FieldOffset(20)] public uint Uid;
            [FieldOffset(28)] public ushort Mode;
            [FieldOffset(32)] public ulong Inode;
            [FieldOffset(40)] public ulong Size;
            [FieldOffset(136)] public uint DevMajor;
            [FieldOffset(140)] public uint DevMinor;
        }

        [DllImport("libc", SetLastError = true)]
        public static extern int open(byte* path, int flags, uint mode);

        [DllImport("libc", SetLastError = true)]
        public static extern nint write(int fd, byte* buffer, nuint count);

        [DllImport("libc", SetLastError = true)]
        public static extern long lseek(int fd, long offset, int whence);

        [DllImport("libc", SetLastError = true)]
        public static extern int ftruncate(int fd, long length);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc")]
        public static extern uint geteuid();

        [DllImport("libc", SetLastError = true)]
        public static extern int statx(int dirfd, byte* path, int flags, uint mask, Statx* buffer);
    }
}

/// <summary>What <see cref="AppendFile.CheckPath"/> found at the file's path.</summary>
internal enum FileIdentity
{
    /// <summary>The path names the open file.</summary>
    Same,
    /// <summary>The path names another file, or nothing, while the open file still has a name (renamed away).</summary>
    Moved,
    /// <summary>The open file has no name left (deleted): what is written to it can no longer be read.</summary>
    Deleted,
    /// <summary>The check itself failed.</summary>
    Unknown,
}
