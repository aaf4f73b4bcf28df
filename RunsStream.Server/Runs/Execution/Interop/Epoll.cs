using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RunsStream.Server.Runs.Execution.Interop;

/// <summary>
/// epoll(7), eventfd(2) and non-blocking read(2) for <see cref="RunOutputReader"/>. .NET has no
/// API that waits on two pipes at once and says which became readable first; epoll's ready list
/// does when the pipes are watched edge-triggered: a pipe joins the tail of the list when new
/// data arrives, so epoll_wait reports them in the order their data arrived. (Level-triggered,
/// a reported pipe is put back on the list at once, in the order of the last report, and the
/// next report keeps that stale order if both get data meanwhile.)
/// </summary>
internal static class Epoll
{
    public const uint In = 0x001;      // EPOLLIN
    public const uint Error = 0x008;   // EPOLLERR
    public const uint HangUp = 0x010;  // EPOLLHUP
    public const uint EdgeTriggered = 0x80000000; // EPOLLET

    private const int CtlAdd = 1;      // EPOLL_CTL_ADD
    private const int CtlDel = 2;      // EPOLL_CTL_DEL
    private const int CloExec = 0x80000; // EPOLL_CLOEXEC == EFD_CLOEXEC == O_CLOEXEC
    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const int EIO = 5;
    private const int FGetFl = 3;          // F_GETFL
    private const int FSetFl = 4;          // F_SETFL
    private const int ONonBlock = 0x800;   // O_NONBLOCK

    // struct epoll_event { uint32_t events; epoll_data_t data; } is packed on x86-64 (12 bytes,
    // data at offset 4) and naturally aligned elsewhere (16 bytes, data at offset 8).
    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    /// <summary>Bytes of one struct epoll_event on this architecture.</summary>
    public static int EventSize => Packed ? 12 : 16;

    private static int DataOffset => Packed ? 4 : 8;

    /// <summary>A new epoll instance (close-on-exec, so no run inherits it).</summary>
    public static int Create() => Check(epoll_create1(CloExec), "epoll_create1");

    /// <summary>A new eventfd (close-on-exec) whose write wakes an epoll_wait that watches it.</summary>
    public static int CreateEventFd() => Check(eventfd(0, CloExec), "eventfd");

    /// <summary>
    /// Watches <paramref name="fd"/> for new data, edge-triggered; <paramref name="tag"/> comes
    /// back with its events. The descriptor must be non-blocking and read until
    /// <see cref="TryRead"/> says it is empty after each report.
    /// </summary>
    public static void Add(int epoll, int fd, ulong tag)
    {
        var buffer = new byte[EventSize];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, In | EdgeTriggered);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(DataOffset), tag);
        Check(epoll_ctl(epoll, CtlAdd, fd, ref buffer[0]), "epoll_ctl(ADD)");
    }

    /// <summary>Stops watching <paramref name="fd"/> (before it is closed).</summary>
    public static void Remove(int epoll, int fd)
    {
        var unused = new byte[EventSize];
        Check(epoll_ctl(epoll, CtlDel, fd, ref unused[0]), "epoll_ctl(DEL)");
    }

    /// <summary>
    /// Waits until at least one watched descriptor is ready (forever, or not at all when
    /// <paramref name="block"/> is false) and fills <paramref name="ready"/> with their tags and
    /// events, in the order they became ready; the number filled.
    /// </summary>
    public static int Wait(int epoll, byte[] buffer, Span<(ulong Tag, uint Events)> ready, bool block = true)
    {
        int count;
        do
        {
            count = epoll_wait(epoll, ref buffer[0], Math.Min(ready.Length, buffer.Length / EventSize), block ? -1 : 0);
        }
        while (count < 0 && Marshal.GetLastPInvokeError() == EINTR);
        Check(count, "epoll_wait");
        for (var i = 0; i < count; i++)
        {
            var item = buffer.AsSpan(i * EventSize, EventSize);
            ready[i] = (BinaryPrimitives.ReadUInt64LittleEndian(item[DataOffset..]), BinaryPrimitives.ReadUInt32LittleEndian(item));
        }
        return count;
    }

    /// <summary>Makes reads of <paramref name="fd"/> return at once when there is nothing to read.</summary>
    /// <remarks>Only this end of the pipe: the process writing the other end is not affected.</remarks>
    public static void SetNonBlocking(int fd)
    {
        var flags = Check(fcntl(fd, FGetFl, 0), "fcntl(F_GETFL)");
        Check(fcntl(fd, FSetFl, flags | ONonBlock), "fcntl(F_SETFL)");
    }

    /// <summary>
    /// One non-blocking read(2), retried on EINTR: false when nothing is there now; otherwise
    /// the bytes read in <paramref name="count"/>, 0 at end of file.
    /// </summary>
    /// <remarks>
    /// A pseudo-terminal's master has no end of file: once every process has closed the slave
    /// (and what they wrote has been read) its reads fail with EIO, which is that end. A pipe
    /// never fails with EIO.
    /// </remarks>
    /// <exception cref="IOException">The read failed.</exception>
    public static bool TryRead(int fd, Span<byte> buffer, out int count)
    {
        nint result;
        int errno;
        do
        {
            result = read(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (errno == EINTR);
        if (errno == EAGAIN)
        {
            count = 0;
            return false;
        }
        if (errno == EIO)
        {
            count = 0;
            return true;
        }
        if (result < 0)
        {
            throw new IOException($"read failed: errno {errno}");
        }
        count = (int)result;
        return true;
    }

    /// <summary>Adds 1 to an eventfd's counter, making it readable.</summary>
    public static void Signal(int eventFd)
    {
        Span<byte> one = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(one, 1);
        _ = write(eventFd, ref MemoryMarshal.GetReference(one), one.Length);
    }

    public static void Close(int fd) => _ = close(fd);


    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new IOException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_ctl(int epfd, int op, int fd, ref byte @event);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_wait(int epfd, ref byte events, int maxevents, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int eventfd(uint initval, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, ref byte buf, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref byte buf, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int cmd, int arg);
}
