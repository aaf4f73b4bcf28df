using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace RunsStream.Tests.Support;

/// <summary>
/// A minimal Socket.IO CONNECT over HTTP long-polling, for checks that need exact control of
/// the query, the headers and the auth payload (the token sources of CONTRACT section 2).
/// </summary>
public static class SocketIOPollingProbe
{
    public sealed record Result(bool Connected, string? Error, string RawAnswer);

    public static async Task<Result> ConnectAsync(string baseUrl, string ns = "/", string? authJson = null, string? queryToken = null, string? bearer = null, string? extraQuery = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        var query = "EIO=4&transport=polling" + (queryToken is null ? "" : "&token=" + Uri.EscapeDataString(queryToken)) + (extraQuery is null ? "" : "&" + extraQuery);
        var open = await http.GetStringAsync("/socket.io/?" + query);
        Assert.That(open, Does.StartWith("0{"), open);
        var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!;
        var url = $"/socket.io/?{query}&sid={sid}";

        var connect = "40" + (ns == "/" ? "" : ns + ",") + (authJson ?? "");
        var post = await http.PostAsync(url, new StringContent(connect, Encoding.UTF8, "text/plain"));
        Assert.That(await post.Content.ReadAsStringAsync(), Is.EqualTo("ok"));

        var prefix = ns == "/" ? "" : ns + ",";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var answer = await http.GetStringAsync(url);
            foreach (var packet in answer.Split('\u001e'))
            {
                if (packet.StartsWith("40" + prefix))
                {
                    return new Result(true, null, packet);
                }
                if (packet.StartsWith("44" + prefix))
                {
                    var error = JsonDocument.Parse(packet[(2 + prefix.Length)..]).RootElement.GetProperty("message").GetString();
                    return new Result(false, error, packet);
                }
            }
        }
        Assert.Fail("no CONNECT answer");
        return null!;
    }
}
