using RunsStream.ComplianceServer;

var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 3000;
var app = ComplianceApp.Build($"http://localhost:{port}");
await app.StartAsync();
Console.WriteLine($"compliance server listening on http://localhost:{port}");
await app.WaitForShutdownAsync();
