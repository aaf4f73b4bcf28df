using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using RunsStream.Server.Configuration;
using RunsStream.Server.Security;
using RunsStream.Tests.Server.Auth;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Security;

/// <summary>
/// Issue 15 item 4: with TLS_CERT and TLS_KEY (a self-signed certificate made by openssl here)
/// the server speaks HTTPS and WSS; the npm socket.io-client watches a run over https:// with
/// polling and with a WebSocket; plain HTTP gets nothing, or a redirect on TLS_REDIRECT_PORT.
/// </summary>
[TestFixture]
public sealed class TlsListenerTests
{
    private string _directory = "";
    private string _cert = "";
    private string _key = "";

    [OneTimeSetUp]
    public async Task MakeCertificate()
    {
        _directory = Path.Combine(Path.GetTempPath(), "runsstream-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _cert = Path.Combine(_directory, "cert.pem");
        _key = Path.Combine(_directory, "key.pem");
        var openssl = Process.Start(new ProcessStartInfo("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", _key, "-out", _cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var stderr = openssl.StandardError.ReadToEndAsync();
        await openssl.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(openssl.ExitCode, Is.EqualTo(0), await stderr);
    }

    [OneTimeTearDown]
    public void Remove() => Directory.Delete(_directory, recursive: true);

    private Task<RunsServerHost> StartAsync(int? redirectPort = null) =>
        RunsServerHost.StartAsync(o => o with { TlsCertificate = _cert, TlsKey = _key, TlsRedirectPort = redirectPort, Jwt = AuthFixture.Jwt() });

    /// <summary>An HttpClient that trusts exactly the test's certificate.</summary>
    private HttpClient Client(string baseUrl, bool redirects = true)
    {
        var expected = X509Certificate2.CreateFromPem(File.ReadAllText(_cert)).Thumbprint;
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = redirects,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == expected,
        };
        return new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    [TestCase("polling")]
    [TestCase("websocket")]
    public async Task The_npm_socket_io_client_watches_a_run_over_https(string transport)
    {
        await using var server = await StartAsync();
        Assert.That(server.Url, Does.StartWith("https://"));
        var token = AuthFixture.Token("alice", "a", "runs:read runs:write");
        using var http = Client(server.Url);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var start = await http.PostAsync("/runs", new StringContent("{\"command\":\"echo over-tls\",\"workspaceId\":\"a\"}", Encoding.UTF8, "application/json"));
        Assert.That(start.StatusCode, Is.EqualTo(HttpStatusCode.Created), await start.Content.ReadAsStringAsync());
        var runId = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;

        var verdict = await NodeDriver.RunAsync("runs-client.mjs",
            ["--url", server.Url, "--token", token, "--transports", transport, "--run-id", runId, "--via", "event", "--timeout", "60000"],
            TimeSpan.FromSeconds(120),
            // The client trusts the self-signed certificate as its CA, as a user of the README would.
            new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = _cert });
        Assert.That(verdict.GetProperty("ok").GetBoolean(), Is.True, verdict.GetRawText());
        Assert.That(verdict.GetProperty("transport").GetString(), Is.EqualTo(transport));
        Assert.That(verdict.GetProperty("stdoutText").GetString(), Is.EqualTo("over-tls\n"));
        Assert.That(verdict.GetProperty("terminal").GetProperty("status").GetString(), Is.EqualTo("succeeded"));
    }

    [Test]
    public async Task Plain_HTTP_gets_no_answer_and_the_redirect_port_sends_it_to_https()
    {
        await using var server = await StartAsync(redirectPort: FreePort());
        var port = new Uri(server.Url).Port;
        using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            Assert.That(async () => await plain.GetAsync($"http://127.0.0.1:{port}/healthz"), Throws.InstanceOf<HttpRequestException>(), "no plain HTTP on the TLS port");
        }
        using var redirect = Client($"http://127.0.0.1:{server.Options.TlsRedirectPort}", redirects: false);
        using var answer = await redirect.GetAsync("/runs?limit=1");
        Assert.That((int)answer.StatusCode, Is.EqualTo(308), await answer.Content.ReadAsStringAsync());
        Assert.That(answer.Headers.Location!.ToString(), Is.EqualTo($"https://127.0.0.1:{port}/runs?limit=1"));
        using var socketIO = await redirect.GetAsync("/socket.io/?EIO=4&transport=polling");
        Assert.That((int)socketIO.StatusCode, Is.EqualTo(308), "no Engine.IO session in clear either");
    }

    [Test]
    public void A_certificate_without_its_key_stops_the_start_clearly()
    {
        Assert.That(() => TlsListener.Load(_cert, _cert), Throws.TypeOf<OptionsException>().With.Message.Contains("TLS_CERT"));
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TLS_CERT"] = _cert }).Build();
        Assert.That(() => OptionsLoader.Load(config), Throws.TypeOf<OptionsException>().With.Message.Contains("TLS_CERT is set without TLS_KEY"));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
