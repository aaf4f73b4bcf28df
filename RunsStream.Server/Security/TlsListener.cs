using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.Hosting;
using RunsStream.Server.Configuration;

namespace RunsStream.Server.Security;

/// <summary>
/// Where Kestrel listens (issue 15 item 4). Without TLS_CERT: plain HTTP on HOST:PORT, as before.
/// With it: HTTPS (and so WSS) only on HOST:PORT; plain HTTP only on TLS_REDIRECT_PORT when set,
/// where every request is redirected and no WebSocket is taken (a token must not cross in clear).
/// </summary>
internal static class TlsListener
{
    public static void Configure(WebApplicationBuilder builder, RunsStreamOptions options)
    {
        if (!options.Tls)
        {
            builder.WebHost.UseUrls(options.Url);
            // Engine.IO WebSocket connections are taken before HTTP: no request state held for a
            // connection's lifetime, frames sent straight on the socket.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSocketIOWebSockets()));
            return;
        }
        var certificate = Load(options.TlsCertificate!, options.TlsKey!);
        var address = Address(options.Host);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port, listen =>
            {
                // TLS first, so the connection-level WebSocket path reads the decrypted bytes.
                listen.UseHttps(certificate);
                listen.UseSocketIOWebSockets();
            });
            if (options.TlsRedirectPort is { } redirect)
            {
                kestrel.Listen(address, redirect);
            }
        });
    }

    /// <summary>With TLS_REDIRECT_PORT, a plain-HTTP request goes to the same path over HTTPS (308 keeps the method).</summary>
    public static void UseRedirect(WebApplication app, RunsStreamOptions options)
    {
        if (options.TlsRedirectPort is null)
        {
            return;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
        app.Use((context, next) =>
        {
            if (context.Request.IsHttps)
            {
                return next(context);
            }
            // The port HTTPS listens on (PORT may be 0: then it is known only once listening).
            var httpsPort = addresses?.Addresses.Select(a => new Uri(a)).FirstOrDefault(u => u.Scheme == "https")?.Port ?? options.Port;
            var host = new HostString(context.Request.Host.Host, httpsPort);
            context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
            context.Response.Headers.Location = UriHelper.BuildAbsolute("https", host, context.Request.PathBase, context.Request.Path, context.Request.QueryString);
            return Task.CompletedTask;
        });
    }

    /// <summary>The certificate with its key; a clear OptionsException when either file is unusable.</summary>
    public static X509Certificate2 Load(string certificatePath, string keyPath)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            // A certificate from PEM holds an ephemeral key, which SslStream cannot use on every
            // platform; exported and re-imported it is a normal one.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new OptionsException($"TLS_CERT {certificatePath} with TLS_KEY {keyPath} cannot be used: {ex.Message}");
        }
    }

    private static IPAddress Address(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "+" => IPAddress.IPv6Any,
        _ when IPAddress.TryParse(host, out var ip) => ip,
        _ => throw new OptionsException($"HOST must be an IP address (or localhost) when TLS_CERT is set; got \"{host}\"."),
    };
}
