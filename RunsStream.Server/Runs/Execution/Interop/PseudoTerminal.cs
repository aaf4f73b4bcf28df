using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace RunsStream.Server.Runs.Execution.Interop;

/// <summary>
/// pty(7) for terminal runs: a new master/slave pair (posix_openpt, grantpt, unlockpt,
/// ptsname_r) and the window size (TIOCSWINSZ). .NET has no API for any of it.
/// </summary>
/// <remarks>
/// The ioctl numbers are the asm-generic ones (x86-64, arm64, riscv64), the architectures .NET
/// runs on under Linux; alpha, mips, powerpc and sparc number them differently.
/// </remarks>
internal static class PseudoTerminal
{
    private const int ORdWr = 0x2;          // O_RDWR
    private const int ONoCtty = 0x100;      // O_NOCTTY: never the server's controlling terminal
    private const int ONonBlock = 0x800;    // O_NONBLOCK
    private const int OCloExec = 0x80000;   // O_CLOEXEC: no other child inherits either side
    private const ulong TiocSWinSz = 0x5414; // TIOCSWINSZ
    private const ulong TiocGWinSz = 0x5413; // TIOCGWINSZ
    private const int EINTR = 4;

    // Enough for "/dev/pts/" and any index the kernel hands out.
    private const int PathBufferBytes = 128;

    /// <summary>
    /// Opens a new master (non-blocking, close-on-exec, never our controlling terminal), unlocks
    /// its slave and returns both the master and the slave's path.
    /// </summary>
    /// <exception cref="IOException">No terminal could be made (no devpts, too many ptys).</exception>
    public static (SafeFileHandle Master, string SlavePath) OpenMaster()
    {
        var fd = posix_openpt(ORdWr | ONoCtty | ONonBlock | OCloExec);
        if (fd < 0)
        {
            throw Failure("posix_openpt");
        }
        var master = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // grantpt is a no-op on devpts with glibc 2.33+, but older libcs need it.
            if (grantpt(fd) != 0)
            {
                throw Failure("grantpt");
            }
            if (unlockpt(fd) != 0)
            {
                throw Failure("unlockpt");
            }
            var path = new byte[PathBufferBytes];
            var error = ptsname_r(fd, ref path[0], path.Length);
            if (error != 0)
            {
                throw new IOException($"ptsname_r failed: errno {error}");
            }
            return (master, Encoding.ASCII.GetString(path, 0, Array.IndexOf(path, (byte)0)));
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>Opens the slave at <paramref name="path"/> read-write, close-on-exec, not as a controlling terminal.</summary>
    /// <exception cref="IOException">It could not be opened.</exception>
    public static SafeFileHandle OpenSlave(string path)
    {
        int fd;
        do
        {
            fd = open(path, ORdWr | ONoCtty | OCloExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Failure("open " + path);
    }

    /// <summary>
    /// Sets the window size. On a master the kernel applies it to the slave and sends SIGWINCH
    /// to the slave's foreground process group when the size changed.
    /// </summary>
    /// <exception cref="IOException">The ioctl failed.</exception>
    /// <exception cref="ObjectDisposedException">The terminal is already closed.</exception>
    public static void SetWindowSize(SafeFileHandle terminal, int columns, int rows)
    {
        var size = new WinSize { Rows = checked((ushort)rows), Columns = checked((ushort)columns) };
        WithDescriptor(terminal, fd => ioctl(fd, TiocSWinSz, ref size), "ioctl(TIOCSWINSZ)");
    }

    /// <summary>The window size as (columns, rows).</summary>
    /// <exception cref="IOException">The ioctl failed.</exception>
    /// <exception cref="ObjectDisposedException">The terminal is already closed.</exception>
    public static (int Columns, int Rows) GetWindowSize(SafeFileHandle terminal)
    {
        var size = default(WinSize);
        WithDescriptor(terminal, fd => ioctl(fd, TiocGWinSz, ref size), "ioctl(TIOCGWINSZ)");
        return (size.Columns, size.Rows);
    }

    // The reference keeps the descriptor from being closed (and its number reused by another
    // file) while the ioctl runs, when a resize races with the end of the run.
    private static void WithDescriptor(SafeFileHandle handle, Func<int, int> call, string name)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (call((int)handle.DangerousGetHandle()) != 0)
            {
                throw Failure(name);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static IOException Failure(string call) => new($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    /// <summary>struct winsize from asm-generic/termios.h.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc")]
    private static extern int ptsname_r(int fd, ref byte buf, nint buflen);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, ref WinSize size);
}
