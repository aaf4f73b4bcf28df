using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace RunsStream.Server.Runs;

/// <summary>Run id rules (docs/api.md section 1) and new ids: "run-" + a ULID, so ids sort by creation time.</summary>
internal static partial class RunIds
{
    /// <summary>What a run id (and a workspace id) must match; quoted by every refusal of one.</summary>
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

    /// <summary>The refusal of a bad run id in a REST path (400).</summary>
    public const string InvalidRunIdMessage = "run id must match " + Pattern;

    /// <summary>The refusal of a bad workspace id (400).</summary>
    public const string InvalidWorkspaceIdMessage = "'workspaceId' must match " + Pattern;

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();

    public static bool IsValid(string? id) => id is not null && ValidId().IsMatch(id);

    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly object s_lock = new();
    private static long s_lastMillis;
    private static readonly byte[] s_lastRandom = new byte[10];

    /// <summary>A ULID (48-bit milliseconds, 80 random bits), monotonic within a millisecond.</summary>
    public static string NewId(DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[10];
        long millis = now.ToUnixTimeMilliseconds();
        lock (s_lock)
        {
            if (millis <= s_lastMillis)
            {
                millis = s_lastMillis;
                for (var i = 9; i >= 0 && ++s_lastRandom[i] == 0; i--)
                {
                }
            }
            else
            {
                s_lastMillis = millis;
                RandomNumberGenerator.Fill(s_lastRandom);
            }
            s_lastRandom.CopyTo(random);
        }

        Span<char> text = stackalloc char[26];
        for (var i = 9; i >= 0; i--)
        {
            text[i] = Crockford[(int)(millis & 31)];
            millis >>= 5;
        }
        // 80 random bits as 16 base32 characters.
        UInt128 bits = 0;
        foreach (var b in random)
        {
            bits = (bits << 8) | b;
        }
        for (var i = 25; i >= 10; i--)
        {
            text[i] = Crockford[(int)(bits & 31)];
            bits >>= 5;
        }
        return "run-" + new string(text);
    }
}
