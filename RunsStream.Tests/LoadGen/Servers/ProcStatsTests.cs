using System.Diagnostics;
using RunsStream.LoadGen.Servers;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.LoadGen.Servers;

/// <summary>
/// The fleet bench reads PostgreSQL's CPU as the postmaster's and its backends': a process's
/// CPU with its children's. A shell whose child spins shows the child's CPU in the tree's
/// figure, not in its own.
/// </summary>
[TestFixture]
public sealed class ProcStatsTests
{
    [Test]
    public async Task A_process_tree_counts_its_childrens_cpu()
    {
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("(while :; do :; done) & wait");
        using var shell = Process.Start(info)!;
        try
        {
            await Eventually.WaitUntilAsync(() => ProcStats.TreeCpuSeconds(shell.Id) >= 0.3, "the spinning child's CPU counted in its parent's tree");
            using var own = new ProcStats(shell.Id);
            Assert.That(own.CpuSeconds(), Is.LessThan(0.2), "the shell itself only waits");
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync();
        }
    }
}
