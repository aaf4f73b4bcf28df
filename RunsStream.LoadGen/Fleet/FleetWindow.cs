namespace RunsStream.LoadGen.Fleet;

/// <summary>CPU seconds over one measured interval: each node's, their sum, and Redis's plus PostgreSQL's.</summary>
internal sealed class FleetWindow
{
    private readonly FleetNodes _fleet;
    private readonly FleetServices _services;
    private readonly double[] _start;
    private readonly double _servicesStart;

    private FleetWindow(FleetNodes fleet, FleetServices services)
    {
        _fleet = fleet;
        _services = services;
        _start = Enumerable.Range(0, fleet.Count).Select(i => fleet.Server(i).Stats.CpuSeconds()).ToArray();
        _servicesStart = services.ServicesCpuSeconds();
        NodeCpu = new double[fleet.Count];
    }

    public static FleetWindow Begin(FleetNodes fleet, FleetServices services) => new(fleet, services);

    public double[] NodeCpu { get; }

    public double NodesCpu => NodeCpu.Sum();

    public double ServicesCpu { get; private set; }

    public void End()
    {
        for (var i = 0; i < NodeCpu.Length; i++)
        {
            NodeCpu[i] = _fleet.Server(i).Stats.CpuSeconds() - _start[i];
        }
        ServicesCpu = _services.ServicesCpuSeconds() - _servicesStart;
    }
}
