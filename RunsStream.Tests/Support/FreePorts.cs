using System.Net;
using System.Net.Sockets;

namespace RunsStream.Tests.Support;

/// <summary>Loopback ports for servers that must know their port before they start.</summary>
public static class FreePorts
{
    /// <summary>A port the kernel just handed out and took back: free now, and not soon handed out again.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
