namespace RunsStream.Server.Runs;

/// <summary>
/// What a run needs of one of its subscribers (<see cref="RunSubscription"/> for a socket):
/// where its cursor is, and whether it takes a new event live.
/// </summary>
internal interface IRunSubscriber
{
    /// <summary>The next seq the subscriber needs.</summary>
    long NextSeq { get; }

    /// <summary>
    /// Called under the run's lock for each appended event while the subscriber is live: sends
    /// it and returns true, or returns false when the subscriber stopped or cannot take it now
    /// (it then catches up from the log on its own and asks to go live again).
    /// </summary>
    bool TryDeliverLive(RunEvent e);
}
