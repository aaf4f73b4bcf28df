namespace RunsStream.Tests.Support;

/// <summary>
/// The raw clients one test opened (WebSocket, long-polling, raw TCP), closed after the test
/// whatever it did, so a failed test leaves no session on a host the next test shares. A test
/// class holds one, registers each client as it opens it and calls <see cref="DisposeAllAsync"/>
/// in its [TearDown].
/// </summary>
public sealed class TestClients
{
    private readonly List<IAsyncDisposable> _async = new();
    private readonly List<IDisposable> _sync = new();

    /// <summary>Registers <paramref name="client"/> and returns it, so opening and registering is one expression.</summary>
    public T Add<T>(T client)
        where T : class
    {
        switch (client)
        {
            case IAsyncDisposable disposable:
                _async.Add(disposable);
                break;
            case IDisposable disposable:
                _sync.Add(disposable);
                break;
            default:
                throw new ArgumentException($"{typeof(T).Name} cannot be closed", nameof(client));
        }
        return client;
    }

    /// <summary>Closes every registered client (WebSocket ones first, then polling ones) and forgets them.</summary>
    public async Task DisposeAllAsync()
    {
        foreach (var client in _async)
        {
            await client.DisposeAsync();
        }
        foreach (var client in _sync)
        {
            client.Dispose();
        }
        _async.Clear();
        _sync.Clear();
    }
}
