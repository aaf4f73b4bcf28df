using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace RunsStream.Tests.Support;

/// <summary>
/// A real Docker Engine API for tests: Debian's podman serving it on a unix socket in a temp
/// folder, with its own configuration, storage and locks there (nothing of the machine's
/// defaults is read or written), and a busybox image imported offline. Started once per test
/// run and stopped by its pid.
/// </summary>
/// <remarks>
/// What podman 4.3 needs on these machines (found by trying; scripts/lib/podman.sh says the same):
/// runc (crun is not installed), the cgroupfs cgroup manager (no systemd), the vfs storage
/// driver, explicit nofile/nproc ulimits (its default nofile of 1048576 is above the VM's hard
/// limit, and runc fails with "error setting rlimits"), file locks instead of the one
/// machine-wide /dev/shm/libpod_lock (so several engines can run side by side), and no
/// static_dir (the cleanup that conmon runs after a container exits gets --root but not the
/// static dir, would not find the container, and every wait would then take 20 s).
/// catatonit is the init that HostConfig.Init asks for.
/// </remarks>
public sealed class PodmanEngine : IAsyncDisposable
{
    /// <summary>The image every test container runs: busybox-static's applets on an empty root.</summary>
    public const string Image = "localhost/runsstream-busybox:test";

    private static readonly string[] Needed = ["/usr/bin/podman", "/usr/sbin/runc", "/usr/bin/conmon", "/usr/bin/catatonit", "/usr/bin/busybox"];

    private readonly Process _service;
    private readonly StringBuilder _serviceLog;

    private PodmanEngine(string directory, Process service, StringBuilder serviceLog)
    {
        Directory = directory;
        _service = service;
        _serviceLog = serviceLog;
    }

    /// <summary>The temp folder holding the configuration, storage and socket.</summary>
    public string Directory { get; }

    /// <summary>DOCKER_HOST of this engine.</summary>
    public Uri Host => new("unix://" + Path.Combine(Directory, "podman.sock"));

    public int Pid => _service.Id;

    /// <summary>What the service wrote, for a failing test's message.</summary>
    public string ServiceLog
    {
        get
        {
            lock (_serviceLog)
            {
                return _serviceLog.ToString();
            }
        }
    }

    public DockerClient CreateClient() => new DockerClientConfiguration(Host).CreateClient();

    public static async Task<PodmanEngine> StartAsync()
    {
        var missing = Needed.Where(path => !File.Exists(path)).ToList();
        if (missing.Count > 0)
        {
            Assert.Fail($"{string.Join(", ", missing)} missing: scripts/test installs podman, runc, catatonit and busybox-static (scripts/lib/podman.sh)");
        }
        // Short: a unix socket path must stay under 108 bytes.
        var directory = System.IO.Directory.CreateTempSubdirectory("rs-podman-").FullName;
        WriteConfiguration(directory);

        var start = new ProcessStartInfo("/usr/bin/podman")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[] { "system", "service", "--time=0", "unix://" + Path.Combine(directory, "podman.sock") })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["CONTAINERS_CONF"] = Path.Combine(directory, "containers.conf");
        start.Environment["CONTAINERS_STORAGE_CONF"] = Path.Combine(directory, "storage.conf");
        start.Environment["CONTAINERS_REGISTRIES_CONF"] = Path.Combine(directory, "registries.conf");
        var log = new StringBuilder();
        var service = Process.Start(start) ?? throw new InvalidOperationException("podman did not start");
        service.OutputDataReceived += (_, e) => Append(log, e.Data);
        service.ErrorDataReceived += (_, e) => Append(log, e.Data);
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();

        var engine = new PodmanEngine(directory, service, log);
        try
        {
            using var client = engine.CreateClient();
            await Eventually.WaitUntilAsync(
                async () => !service.HasExited && await AnswersAsync(client),
                "podman system service answers on its socket", TimeSpan.FromSeconds(90));
            await ImportBusyboxAsync(client, directory);
            return engine;
        }
        catch
        {
            TestContext.Progress.WriteLine("podman service log:\n" + engine.ServiceLog);
            await engine.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_service.HasExited)
        {
            try
            {
                // No container may outlive the engine's folder: their conmon would keep running.
                using var client = CreateClient();
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                foreach (var container in await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, deadline.Token))
                {
                    await client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, deadline.Token);
                }
            }
            catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException)
            {
                TestContext.Progress.WriteLine($"podman: containers not removed at teardown: {e.Message}");
            }
            Kill(_service.Id, 15);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _service.WaitForExitAsync(exited.Token);
            }
            catch (OperationCanceledException)
            {
                Kill(_service.Id, 9);
                await _service.WaitForExitAsync();
            }
        }
        _service.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TestContext.Progress.WriteLine($"podman: {Directory} not removed: {e.Message}");
        }
    }

    // The configuration scripts/run gives a user's engine (scripts/lib/podman.sh says why each
    // setting is needed), written by the same function, so tests run the engine users get.
    private static void WriteConfiguration(string directory)
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "lib", "podman.sh");
        using (var write = Process.Start(new ProcessStartInfo("bash", ["-c", "source \"$1\" && write_podman_conf \"$2\"", "write-conf", script, directory])
        {
            RedirectStandardError = true,
        })!)
        {
            var error = write.StandardError.ReadToEnd();
            write.WaitForExit();
            if (write.ExitCode != 0)
            {
                throw new InvalidOperationException($"write_podman_conf failed ({write.ExitCode}): {error}");
            }
        }
        // No registry: the tests never pull, and a pull attempt fails at once.
        File.WriteAllText(Path.Combine(directory, "registries.conf"), "unqualified-search-registries = []\n");
    }

    private static async Task<bool> AnswersAsync(DockerClient client)
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.System.PingAsync(deadline.Token);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or DockerApiException
                                  or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    // A root filesystem of busybox-static and a symlink per applet, imported through the
    // Engine API's image create (fromSrc), as one would on a machine without a registry.
    private static async Task ImportBusyboxAsync(DockerClient client, string directory)
    {
        var tar = Path.Combine(directory, "busybox-rootfs.tar");
        await using (var file = File.Create(tar))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            foreach (var folder in new[] { "bin", "tmp", "workspace", "proc", "sys", "dev", "etc" })
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, folder + "/") { Mode = folder == "tmp" ? (UnixFileMode)Convert.ToInt32("1777", 8) : (UnixFileMode)Convert.ToInt32("755", 8) });
            }
            await writer.WriteEntryAsync("/usr/bin/busybox", "bin/busybox");
            foreach (var applet in await AppletsAsync())
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox" });
            }
        }
        await using var source = File.OpenRead(tar);
        var messages = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var (repository, tag) = (Image[..Image.LastIndexOf(':')], Image[(Image.LastIndexOf(':') + 1)..]);
        await client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = repository, Tag = tag },
            source, null, new Messages(messages), deadline.Token);
        // podman 4.3 leaves an imported image untagged whatever repo/tag say: tag it by the id
        // it reports.
        var imported = messages.Select(m => m.Trim()).FirstOrDefault(m => m.StartsWith("sha256:", StringComparison.Ordinal));
        if (imported is not null)
        {
            await client.Images.TagImageAsync(imported, new ImageTagParameters { RepositoryName = repository, Tag = tag }, deadline.Token);
        }
        try
        {
            await client.Images.InspectImageAsync(Image, deadline.Token);
        }
        catch (DockerImageNotFoundException)
        {
            Assert.Fail($"the busybox image was not imported: {string.Join("; ", messages)}");
        }
    }

    private static async Task<IReadOnlyList<string>> AppletsAsync()
    {
        var start = new ProcessStartInfo("/usr/bin/busybox", "--list") { RedirectStandardOutput = true, UseShellExecute = false };
        using var busybox = Process.Start(start)!;
        var list = await busybox.StandardOutput.ReadToEndAsync();
        await busybox.WaitForExitAsync();
        return list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(name => name != "busybox" && !name.Contains('/'))
            .ToList();
    }

    // Progress<T> reports on the thread pool, after the call may have returned: the import's
    // image id must be in the list when it does.
    private sealed class Messages(System.Collections.Concurrent.ConcurrentBag<string> into) : IProgress<JSONMessage>
    {
        public void Report(JSONMessage value) => into.Add($"{value.Status} {value.ErrorMessage} {value.Error?.Message}");
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.AppendLine(line);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
