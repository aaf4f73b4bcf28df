using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace RunsStream.Tests.Support;

/// <summary>
/// Runs NodeClient/driver.mjs (the npm socket.io-client 4.8) for one scenario and returns its
/// JSON verdict. The process is killed by its id if it outlives the timeout.
/// </summary>
public static class NodeDriver
{
    public static string Directory => RepoPaths.NodeClient;

    public static async Task<JsonElement> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(script);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"node {script} did not finish within {timeout}: {await stderr}");
        }

        var output = await stdout;
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (lastLine is null)
        {
            Assert.Fail($"node {script} printed nothing (exit {process.ExitCode}): {await stderr}");
        }
        try
        {
            return JsonDocument.Parse(lastLine!).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"node {script} printed no JSON verdict: {output}\n{await stderr}");
            throw;
        }
    }

    public static Task<JsonElement> RunScenarioAsync(string url, string transports, string scenario, string token = "good") =>
        RunAsync("driver.mjs", ["--url", url, "--transports", transports, "--scenario", scenario, "--token", token, "--timeout", "20000"], TimeSpan.FromSeconds(120));

    public static string Describe(JsonElement verdict)
    {
        var text = new StringBuilder();
        text.Append(verdict.GetRawText());
        return text.ToString();
    }
}
