using Microsoft.Extensions.DependencyInjection;

namespace RunsStream.Tests.Support;

/// <summary>
/// Replaces a service the app registers itself, after a test's configureBuilder has run (the
/// app's own registrations come later and would win): for a test double built from the app's
/// real services. Use it with <c>builder.Host.UseServiceProviderFactory</c>.
/// </summary>
internal sealed class ServiceOverride<TService>(Func<IServiceProvider, TService> create) : IServiceProviderFactory<IServiceCollection>
    where TService : class
{
    public IServiceCollection CreateBuilder(IServiceCollection services)
    {
        // A copy: the builder's own collection is made read-only once the provider is built.
        IServiceCollection copy = new ServiceCollection();
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType != typeof(TService))
            {
                copy.Add(descriptor);
            }
        }
        copy.AddSingleton(create);
        return copy;
    }

    public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder) => containerBuilder.BuildServiceProvider();
}
