namespace RunsStream.Server.Runs.Execution.Pty;

/// <summary>A terminal's size in character cells, as a run's programs see it (<c>stty size</c>).</summary>
/// <remarks>
/// Bounded so that a client cannot ask programs to lay out (and the server to store) screens
/// of absurd size; 1000 is wider than any real screen and fits the kernel's 16-bit fields.
/// </remarks>
internal readonly record struct PtySize
{
    /// <summary>Columns when the run asks for none: the classic terminal's.</summary>
    public const int DefaultColumns = 80;

    /// <summary>Rows when the run asks for none: the classic terminal's.</summary>
    public const int DefaultRows = 24;

    /// <summary>The smallest columns or rows accepted.</summary>
    public const int Min = 1;

    /// <summary>The largest columns or rows accepted.</summary>
    public const int Max = 1000;

    /// <summary>80 columns by 24 rows.</summary>
    public static readonly PtySize Default = new(DefaultColumns, DefaultRows);

    /// <exception cref="ArgumentOutOfRangeException">Either is outside <see cref="Min"/>..<see cref="Max"/>.</exception>
    public PtySize(int columns, int rows)
    {
        if (Check(columns, rows) is { } error)
        {
            throw new ArgumentOutOfRangeException(columns is < Min or > Max ? nameof(columns) : nameof(rows), error);
        }
        Columns = columns;
        Rows = rows;
    }

    public int Columns { get; }

    public int Rows { get; }

    /// <summary>
    /// The size a client asked for (either may be absent: its default), or a message saying
    /// what is wrong, for a 400 or an error acknowledgement.
    /// </summary>
    public static bool TryCreate(int? columns, int? rows, out PtySize size, out string? error)
    {
        var cols = columns ?? DefaultColumns;
        var lines = rows ?? DefaultRows;
        error = Check(cols, lines);
        size = error is null ? new PtySize(cols, lines) : Default;
        return error is null;
    }

    public override string ToString() => $"{Columns}x{Rows}";

    private static string? Check(int columns, int rows) =>
        columns is < Min or > Max ? $"cols must be between {Min} and {Max}, got {columns}."
        : rows is < Min or > Max ? $"rows must be between {Min} and {Max}, got {rows}."
        : null;
}
