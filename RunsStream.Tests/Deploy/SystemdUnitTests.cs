using RunsStream.Tests.Support;

namespace RunsStream.Tests.Deploy;

/// <summary>
/// deploy/runsstream.service passes systemd-analyze verify with nothing to say (an unknown or
/// misspelled option is only a warning there, so any output fails the test), keeps the
/// hardening options it promises, and scores as systemd-analyze security rates it.
/// </summary>
[NonParallelizable]
public sealed class SystemdUnitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private static string UnitPath => Path.Combine(RepoPaths.Root, "deploy", "runsstream.service");

    private string _root = null!;

    [OneTimeSetUp]
    public async Task EnsureTheTool()
    {
        // Debian's systemd package brings systemd-analyze; installed when missing, never skipped.
        var install = await ScriptRunner.BashAsync("command -v systemd-analyze >/dev/null || apt_install systemd", Timeout);
        Assert.That(install.ExitCode, Is.Zero, $"systemd-analyze could not be installed: {install}");
    }

    [SetUp]
    public void MakeRoot()
    {
        // verify checks the unit against a root: the system's own units (sysinit.target, ...),
        // the unit under /etc/systemd/system and an executable where ExecStart points.
        _root = Directory.CreateTempSubdirectory("runsstream-systemd-").FullName;
        CopyDirectory("/usr/lib/systemd/system", Path.Combine(_root, "usr", "lib", "systemd", "system"));
        Directory.CreateDirectory(Path.Combine(_root, "etc", "systemd", "system"));
        var bin = Path.Combine(_root, "opt", "runsstream");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "RunsStream.Server"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(bin, "RunsStream.Server"), (UnixFileMode)0b111_101_101);
    }

    [TearDown]
    public void RemoveRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task The_unit_verifies_without_a_single_warning()
    {
        var result = await VerifyAsync(File.ReadAllText(UnitPath));
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout + result.Stderr, Is.Empty, result.ToString());
    }

    [Test]
    public async Task The_check_fails_on_a_misspelled_option_and_on_a_missing_executable()
    {
        var misspelled = await VerifyAsync(File.ReadAllText(UnitPath).Replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"));
        Assert.That(misspelled.Stderr, Does.Contain("Unknown key 'NoNewPrivilege'"), misspelled.ToString());
        var missing = await VerifyAsync(File.ReadAllText(UnitPath).Replace("/opt/runsstream/RunsStream.Server", "/opt/runsstream/nothing-here"));
        Assert.That(missing.ExitCode, Is.Not.Zero, missing.ToString());
    }

    [Test]
    public void The_unit_has_the_hardening_and_the_delegation_the_readme_describes()
    {
        var lines = File.ReadAllLines(UnitPath).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToHashSet();
        string[] expected =
        [
            "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
            "StateDirectory=runsstream", "ReadWritePaths=/var/lib/runsstream", "Delegate=yes", "User=runsstream", "CapabilityBoundingSet=",
        ];
        Assert.That(expected.Where(e => !lines.Contains(e)), Is.Empty);
        // Each of these would take an executor away (README "Running as a service").
        Assert.That(lines.Where(l => l.StartsWith("RestrictNamespaces=") || l.StartsWith("ProtectControlGroups=yes")
            || l.StartsWith("PrivateUsers=yes") || l.StartsWith("SystemCallFilter=") || l.StartsWith("MemoryDenyWriteExecute=yes")), Is.Empty);
    }

    [Test]
    public async Task The_exposure_score_of_systemd_analyze_security_is_at_most_5()
    {
        File.WriteAllText(Path.Combine(_root, "etc", "systemd", "system", "runsstream.service"), File.ReadAllText(UnitPath));
        var result = await ScriptRunner.RunAsync("systemd-analyze", ["security", "--offline=true", $"--root={_root}", "--no-pager", "/etc/systemd/system/runsstream.service"], Timeout);
        var line = result.Stdout.Split('\n').FirstOrDefault(l => l.Contains("Overall exposure level"));
        Assert.That(line, Is.Not.Null, result.ToString());
        var score = double.Parse(System.Text.RegularExpressions.Regex.Match(line!, @"level for \S+: ([0-9.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine(line);
        Assert.That(score, Is.LessThanOrEqualTo(5.0), line);
    }

    private async Task<ScriptRunner.Result> VerifyAsync(string unit)
    {
        File.WriteAllText(Path.Combine(_root, "etc", "systemd", "system", "runsstream.service"), unit);
        return await ScriptRunner.RunAsync("systemd-analyze", ["verify", "--man=no", $"--root={_root}", "/etc/systemd/system/runsstream.service"], Timeout);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (entry is DirectoryInfo directory)
            {
                CopyDirectory(directory.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
            }
        }
    }
}
