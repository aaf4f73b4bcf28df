namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>
/// Where the docker executor finds its engine and which image a run gets when it names none.
/// Read once from the environment when the runner is built.
/// </summary>
/// <param name="Host">The Docker Engine API endpoint (<c>DOCKER_HOST</c>); default <see cref="DefaultHost"/>.</param>
/// <param name="DefaultImage">The image of a run that names none (<c>DOCKER_IMAGE</c>); null: every run must name one.</param>
/// <param name="Owner">
/// The value of the <see cref="ContainerLabels.Owner"/> label on every container this server
/// starts (see <see cref="ContainerLabels.OwnerOf"/>), so crash recovery only ever removes this
/// server's containers when several servers share one engine.
/// </param>
internal sealed record DockerOptions(Uri Host, string? DefaultImage, string Owner)
{
    /// <summary>The engine when <c>DOCKER_HOST</c> is not set: the Docker daemon's usual socket.</summary>
    public static readonly Uri DefaultHost = new("unix:///var/run/docker.sock");

    /// <summary>
    /// Reads <c>DOCKER_HOST</c> and <c>DOCKER_IMAGE</c> through <paramref name="variable"/>
    /// (the process environment in the server, a dictionary in tests).
    /// </summary>
    /// <exception cref="ArgumentException">DOCKER_HOST is not an absolute unix://, tcp:// or http(s):// address.</exception>
    public static DockerOptions FromEnvironment(Func<string, string?> variable, string owner)
    {
        var host = variable("DOCKER_HOST");
        var image = variable("DOCKER_IMAGE");
        return new DockerOptions(
            string.IsNullOrWhiteSpace(host) ? DefaultHost : ParseHost(host),
            string.IsNullOrWhiteSpace(image) ? null : image.Trim(),
            owner);
    }

    private static Uri ParseHost(string host)
    {
        if (!Uri.TryCreate(host.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("unix" or "tcp" or "http" or "https"))
        {
            throw new ArgumentException(
                $"DOCKER_HOST '{host}' is not a Docker Engine address (expected unix:///path/to/docker.sock or tcp://host:port)");
        }
        return uri;
    }
}
