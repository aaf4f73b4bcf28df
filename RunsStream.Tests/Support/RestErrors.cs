using System.Net;
using System.Text.Json;

namespace RunsStream.Tests.Support;

/// <summary>
/// The REST error envelope every refusal of the runs server carries:
/// <c>{"error":{"code":...,"message":...}}</c> as JSON with the status that goes with the code.
/// Tests import it with <c>using static</c>.
/// </summary>
public static class RestErrors
{
    /// <summary>Asserts the status, a JSON body, the error code and a message; the whole body.</summary>
    public static async Task<JsonElement> ErrorOf(HttpResponseMessage response, int status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), body);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.That(json.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo(code), body);
        Assert.That(json.GetProperty("error").GetProperty("message").GetString(), Is.Not.Empty, body);
        return json.Clone();
    }

    /// <summary>As <see cref="ErrorOf"/>; the error's message.</summary>
    public static async Task<string> ErrorMessageOf(HttpResponseMessage response, HttpStatusCode status, string code) =>
        (await ErrorOf(response, (int)status, code)).GetProperty("error").GetProperty("message").GetString()!;
}
