using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// Chaos: a real server runs a command that writes ~52 MB; several raw Socket.IO clients watch
/// it and are cut off 100 times in all at random points (seeded), each time reconnecting and
/// resubscribing with <c>since</c> = the last seq it got. Every client must end with exactly the
/// bytes of <c>GET /runs/{id}/log</c> and of the command, with seqs that never skip or repeat.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ChaosResumeTests
{
    private const int Clients = 4;
    private const int Disconnects = 100;
    private const int Blocks = 100;
    private const int LinesPerBlock = 6554;

    private static string Line(long i) =>
        string.Create(CultureInfo.InvariantCulture, $"{i:D9} abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ {i * 7919 % 1000003}\n");

    /// <summary>The bytes the command writes, produced here independently of the shell.</summary>
    private static (string Sha256, long Length) Expected()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        for (long i = 1; i <= (long)Blocks * LinesPerBlock; i++)
        {
            var bytes = Encoding.ASCII.GetBytes(Line(i));
            hash.AppendData(bytes);
            length += bytes.Length;
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }

    /// <summary>
    /// Writes the lines in blocks with short pauses (so clients are cut off while output still
    /// flows), marks the end of its output, then stays running until the test opens the gate
    /// (at most two minutes), so every cut-off happens while the run is live.
    /// </summary>
    private static string Command(string produced, string gate) =>
        $"for b in $(seq 0 {Blocks - 1}); do awk -v b=$b 'BEGIN{{for(i=b*{LinesPerBlock}+1;i<=(b+1)*{LinesPerBlock};i++) printf \"%09d abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ %d\\n\", i, (i*7919)%1000003}}'; sleep 0.05; done; "
        + $"touch {produced}; n=0; while [ ! -e {gate} ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done";

    [Test]
    public async Task Clients_cut_off_100_times_during_a_50_MB_run_resume_with_since_and_end_with_the_logs_bytes()
    {
        var seed = Environment.GetEnvironmentVariable("CHAOS_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        await TestContext.Out.WriteLineAsync($"chaos seed {seed} (set CHAOS_SEED to replay)");
        var expected = Expected();

        var signals = Directory.CreateTempSubdirectory("runsstream-chaos-");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(signals.FullName, (UnixFileMode)0b111_111_111); // the run may execute as another user
        }
        var produced = Path.Combine(signals.FullName, "produced");
        var gate = Path.Combine(signals.FullName, "gate");
        await using var server = await RunsServerHost.StartAsync();
        try
        {
            var chaos = new Chaos(server, produced, Disconnects);
            var runId = await server.StartRunAsync(Command(produced, gate));

            var random = new Random(seed);
            var clients = Enumerable.Range(0, Clients)
                .Select(c => new ResumingClient(c, chaos, runId, CutOffPoints(random, Disconnects / Clients, expected.Length)))
                .ToArray();
            var watching = Task.WhenAll(clients.Select(c => c.RunAsync()));

            // A client that sees a gap or a duplicate stops at once, so a failure is reported now, not at the deadline.
            await WaitOrFailAsync(Task.WhenAny(chaos.AllCutOffs, chaos.FirstProblem), "the cut-offs", seed, clients);
            await File.WriteAllTextAsync(gate, "");
            await WaitOrFailAsync(Task.WhenAny(watching, chaos.FirstProblem), "the terminal status", seed, clients);
            if (watching.IsFaulted)
            {
                await watching;
            }

            var run = await server.WaitForTerminalAsync(runId);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"), $"seed {seed}: {run.GetRawText()}");
            var log = await server.Http.GetByteArrayAsync($"/runs/{runId}/log");
            var logSha = Convert.ToHexStringLower(SHA256.HashData(log));

            await TestContext.Out.WriteLineAsync(
                $"{expected.Length} bytes; {chaos.CutOffs} cut-offs, {chaos.CutOffsWhileProducing} while output was still being produced; "
                + $"{clients.Sum(c => c.ServerCloses)} closes by the server; {clients.Sum(c => c.Events)} events received");
            Assert.Multiple(() =>
            {
                Assert.That(logSha, Is.EqualTo(expected.Sha256), $"seed {seed}: GET /log holds what the command wrote ({log.Length} of {expected.Length} bytes)");
                Assert.That(chaos.CutOffs, Is.EqualTo(Disconnects), $"seed {seed}: cut-offs");
                foreach (var client in clients)
                {
                    Assert.That(client.Problems, Is.Empty, $"seed {seed}: client {client} seqs");
                    Assert.That(client.TerminalSeq, Is.EqualTo(client.LastSeq).And.GreaterThan(0), $"seed {seed}: the terminal status is the last event");
                    Assert.That(client.StdoutSha256, Is.EqualTo(logSha), $"seed {seed}: a client's stdout ({client.StdoutBytes} bytes) is the log");
                }
            });
        }
        finally
        {
            await File.WriteAllTextAsync(gate, ""); // the run ends even when the test failed
            signals.Delete(recursive: true);
        }
    }

    private static async Task WaitOrFailAsync(Task task, string what, int seed, ResumingClient[] clients)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(180));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"seed {seed}: no {what} within 180 s; clients: " + string.Join("; ", clients.Select(c => c.ToString())));
        }
    }

    /// <summary>
    /// A client's cut-off points in order: a stdout byte count (increasing) at which it drops the
    /// connection, or -1 for a drop right after its next subscribe, before the ack or any replay.
    /// </summary>
    private static long[] CutOffPoints(Random random, int count, long totalBytes)
    {
        var afterSubscribe = Enumerable.Range(0, count).Select(_ => random.Next(5) == 0).ToArray();
        var offsets = new Queue<long>(Enumerable.Range(0, afterSubscribe.Count(a => !a)).Select(_ => random.NextInt64(totalBytes)).Order());
        return afterSubscribe.Select(a => a ? -1 : offsets.Dequeue()).ToArray();
    }

    /// <summary>What all clients share: the server, the count of cut-offs, and when they are all done.</summary>
    private sealed class Chaos(RunsServerHost server, string producedMarker, int total)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _problem = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _cutOffs;
        private int _whileProducing;

        public RunsServerHost Server { get; } = server;

        public Task AllCutOffs => _all.Task;

        public int CutOffs => Volatile.Read(ref _cutOffs);

        public int CutOffsWhileProducing => Volatile.Read(ref _whileProducing);

        public Task FirstProblem => _problem.Task;

        public void ReportProblem() => _problem.TrySetResult();

        public void CountCutOff()
        {
            if (!File.Exists(producedMarker))
            {
                Interlocked.Increment(ref _whileProducing);
            }
            if (Interlocked.Increment(ref _cutOffs) == total)
            {
                _all.TrySetResult();
            }
        }
    }

    /// <summary>One raw Socket.IO client over WebSocket that keeps resuming until the run's terminal status.</summary>
    private sealed class ResumingClient(int index, Chaos chaos, string runId, long[] cutOffPoints)
    {
        private readonly IncrementalHash _stdout = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private int _nextCutOff;

        public long LastSeq { get; private set; }

        public long TerminalSeq { get; private set; }

        public long StdoutBytes { get; private set; }

        public long Events { get; private set; }

        public int ServerCloses { get; private set; }

        public List<string> Problems { get; } = [];

        public string StdoutSha256 { get; private set; } = "";

        public async Task RunAsync()
        {
            while (TerminalSeq == 0 && Problems.Count == 0)
            {
                await WatchOnceAsync();
            }
            StdoutSha256 = Convert.ToHexStringLower(_stdout.GetHashAndReset());
        }

        /// <summary>One connection: open, CONNECT with the token, subscribe from the last seq, read until cut off or done.</summary>
        private async Task WatchOnceAsync()
        {
            var url = new Uri(chaos.Server.Url.Replace("http://", "ws://", StringComparison.Ordinal) + "/socket.io/?EIO=4&transport=websocket");
            await using var client = await RawWebSocketClient.ConnectAsync(url);
            Expect(await client.ReceiveTextAsync(), "0{");
            await client.SendTextAsync("40{\"token\":\"" + RunsServerHost.Token + "\"}");
            Expect(await client.ReceiveTextAsync(), "40{\"sid\"");
            await client.SendTextAsync($"421[\"subscribe\",{{\"runId\":\"{runId}\",\"since\":{LastSeq}}}]");
            if (NextCutOffIsDue(afterSubscribe: true))
            {
                return;
            }

            while (true)
            {
                RawWebSocketClient.Message? received;
                try
                {
                    received = await client.ReceiveOrCloseAsync();
                }
                catch (TimeoutException)
                {
                    // Quiet while other clients finish their cut-offs; the test's own deadline bounds this.
                    continue;
                }
                if (received is not { } message)
                {
                    break;
                }
                if (message.IsBinary)
                {
                    Problems.Add("unexpected binary message");
                    continue;
                }
                if (message.Text.StartsWith("431[", StringComparison.Ordinal))
                {
                    Expect(message.Text, "431[{\"ok\":true");
                    continue;
                }
                if (!message.Text.StartsWith("42[\"run-event\",", StringComparison.Ordinal))
                {
                    continue;
                }
                OnEvent(message.Text);
                if (TerminalSeq != 0 || Problems.Count > 0 || NextCutOffIsDue(afterSubscribe: false))
                {
                    return;
                }
            }
            ServerCloses++;
        }

        private void OnEvent(string text)
        {
            using var document = JsonDocument.Parse(text.AsMemory(2));
            var payload = document.RootElement[1];
            var seq = payload.GetProperty("seq").GetInt64();
            Events++;
            if (seq != LastSeq + 1)
            {
                Problems.Add(seq <= LastSeq ? $"duplicate seq {seq} after {LastSeq}" : $"gap: seq {seq} after {LastSeq}");
                chaos.ReportProblem();
                return;
            }
            LastSeq = seq;
            var type = payload.GetProperty("type").GetString();
            var data = payload.GetProperty("data").GetString()!;
            if (type == "stdout")
            {
                var bytes = Encoding.UTF8.GetBytes(data);
                _stdout.AppendData(bytes);
                StdoutBytes += bytes.Length;
            }
            else if (type == "status" && data is "succeeded" or "failed" or "cancelled")
            {
                TerminalSeq = seq;
            }
        }

        /// <summary>Drops the connection (by disposing it, an abort) when the next cut-off point is reached.</summary>
        private bool NextCutOffIsDue(bool afterSubscribe)
        {
            if (_nextCutOff >= cutOffPoints.Length)
            {
                return false;
            }
            var point = cutOffPoints[_nextCutOff];
            var due = afterSubscribe ? point < 0 : point >= 0 && StdoutBytes >= point;
            if (due)
            {
                _nextCutOff++;
                chaos.CountCutOff();
            }
            return due;
        }

        private void Expect(string text, string prefix)
        {
            if (!text.StartsWith(prefix, StringComparison.Ordinal))
            {
                Problems.Add($"expected {prefix}..., got {text[..Math.Min(text.Length, 200)]}");
                chaos.ReportProblem();
            }
        }

        public override string ToString() =>
            $"#{index} at seq {LastSeq} ({StdoutBytes} stdout bytes, cut-off {_nextCutOff} of {cutOffPoints.Length}, {ServerCloses} server closes)";
    }
}
