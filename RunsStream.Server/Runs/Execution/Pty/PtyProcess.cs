using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using RunsStream.Server.Runs.Execution.Interop;

namespace RunsStream.Server.Runs.Execution.Pty;

/// <summary>
/// A run started on a new pseudo-terminal: its programs see a terminal on stdin, stdout and
/// stderr (<c>isatty</c>, colours, progress bars, <c>stty size</c>), and everything they write
/// comes out of one stream, the terminal's master, as in a local terminal.
/// </summary>
/// <remarks>
/// <para>
/// What the run writes reaches <see cref="Output"/> as the terminal transforms it: the default
/// line discipline (ONLCR) turns each <c>\n</c> into <c>\r\n</c>, and <c>\r</c>, escape
/// sequences and every other byte pass unchanged. That is what a local terminal shows too.
/// Stdin is the terminal with nobody typing: a program that reads it waits, as it would in an
/// idle terminal (it gets no end of file, unlike an ordinary run's closed stdin).
/// </para>
/// <para>
/// The server keeps its own descriptor of the slave until the process it started has exited;
/// only then can a read of the master report the end (EIO, once no process of the run holds
/// the slave). Releasing it right after the start would race with the child opening the slave
/// by path: a master whose slave has no opener reports the end at once.
/// </para>
/// </remarks>
internal sealed class PtyProcess : IDisposable
{
    private readonly SafeFileHandle _master;
    private readonly object _slaveLock = new();
    private SafeFileHandle? _slave;

    private PtyProcess(Process process, SafeFileHandle master, SafeFileHandle slave, string slavePath, PtySize size)
    {
        Process = process;
        _master = master;
        _slave = slave;
        SlavePath = slavePath;
        Size = size;
        // bufferSize 0: no FileStream buffer, the reader reads the descriptor itself.
        Output = new FileStream(master, FileAccess.Read, bufferSize: 0);
    }

    /// <summary>
    /// The process .NET started, which becomes (by execs in the same pid) the session leader,
    /// group leader and shell of the run: its exit code is the run's, its pid the group to
    /// signal. The caller disposes it.
    /// </summary>
    public Process Process { get; }

    /// <summary>
    /// The terminal's master, non-blocking: every byte the run writes to its stdout or stderr,
    /// read like a pipe (a <see cref="FileStream"/>, as <see cref="RunOutputReader"/> takes it).
    /// A read fails with EIO when every process of the run has closed the terminal, which
    /// <see cref="Epoll.TryRead"/> reports as end of file. Whoever reads it disposes it.
    /// </summary>
    public FileStream Output { get; }

    /// <summary>The slave's path (<c>/dev/pts/N</c>), what <c>tty</c> prints in the run.</summary>
    public string SlavePath { get; }

    /// <summary>The size last set.</summary>
    public PtySize Size { get; private set; }

    /// <summary>
    /// Makes a terminal of <paramref name="size"/> and starts the request's command on it,
    /// through the same exec chain as an ordinary run (own session and group, cgroup join, run
    /// user), with TERM set to <see cref="PtyStartInfo.TerminalType"/>.
    /// </summary>
    /// <exception cref="RunStartException">No terminal could be made, or the process could not be started.</exception>
    public static PtyProcess Start(ProcessStartRequest request, PtySize size)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckSize(size);
        if (!Directory.Exists(request.WorkingDirectory))
        {
            throw new RunStartException($"Working directory '{request.WorkingDirectory}' does not exist.");
        }

        SafeFileHandle? master = null;
        SafeFileHandle? slave = null;
        Process? process = null;
        try
        {
            (master, string slavePath) = PseudoTerminal.OpenMaster();
            // Before the child starts, so its first look at the size is the right one.
            PseudoTerminal.SetWindowSize(master, size.Columns, size.Rows);
            slave = PseudoTerminal.OpenSlave(slavePath);

            process = new Process { StartInfo = PtyStartInfo.Create(request, slavePath), EnableRaisingEvents = true };
            process.Start();
            DropStandardPipes(process);
            var started = new PtyProcess(process, master, slave, slavePath, size);
            process.Exited += (_, _) => started.ReleaseTerminal();
            if (process.HasExited)
            {
                started.ReleaseTerminal(); // exited before the handler was attached
            }
            return started;
        }
        catch (Exception ex) when (ex is Win32Exception or IOException or InvalidOperationException)
        {
            if (process is not null && TryHasStarted(process))
            {
                ProcessGroup.TrySignalProcess(process.Id, ProcessGroup.SigKill);
            }
            process?.Dispose();
            slave?.Dispose();
            master?.Dispose();
            throw new RunStartException($"The terminal run could not be started: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Sets the terminal's size; the kernel sends SIGWINCH to the run's foreground process
    /// group when it changed. False once the run's terminal is closed (the run is over).
    /// </summary>
    public bool Resize(PtySize size)
    {
        CheckSize(size);
        try
        {
            PseudoTerminal.SetWindowSize(_master, size.Columns, size.Rows);
            Size = size;
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Closes the server's descriptor of the slave, so the master reports the end once no
    /// process of the run holds the terminal. Done when the process exits; idempotent.
    /// </summary>
    public void ReleaseTerminal()
    {
        lock (_slaveLock)
        {
            _slave?.Dispose();
            _slave = null;
        }
    }

    /// <summary>Closes both sides of the terminal (not the process). For the end of the run or a failed start.</summary>
    public void Dispose()
    {
        ReleaseTerminal();
        Output.Dispose();
    }

    private static void CheckSize(PtySize size)
    {
        if (size.Columns == 0)
        {
            throw new ArgumentException("The size is the default value of PtySize; use PtySize.Default.", nameof(size));
        }
    }

    // .NET's pipes only kept the child off the server's own stdio; the chain replaced them
    // with the terminal before anything of the run could write to them.
    private static void DropStandardPipes(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child already closed its end.
        }
        process.StandardOutput.Dispose();
        process.StandardError.Dispose();
    }

    private static bool TryHasStarted(Process process)
    {
        try
        {
            _ = process.Id;
            return !process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
