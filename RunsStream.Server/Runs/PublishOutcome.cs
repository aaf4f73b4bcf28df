namespace RunsStream.Server.Runs;

/// <summary>What <see cref="RunState.Publish"/> did with a batch.</summary>
internal enum PublishOutcome
{
    /// <summary>Every event was appended (a run that did not exist was created).</summary>
    Accepted,

    /// <summary>An empty batch for a run nobody created: nothing to do.</summary>
    NothingToCreate,

    /// <summary>The run is executed by this server: 409.</summary>
    ExecutedHere,

    /// <summary>The run already has its terminal status: 409.</summary>
    Finished,

    /// <summary>Retention deleted the run: 410.</summary>
    Deleted,

    /// <summary>This awaited run was retired meanwhile: look the run up again.</summary>
    Retired,
}
