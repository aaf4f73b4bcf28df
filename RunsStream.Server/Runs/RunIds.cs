using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace RunsStream.Server.Runs;

/// <summary>Run id rules (CONTRACT section 3) and new ids: "run-" + a ULID, so ids sort by creation time.</summary>
internal static partial class RunIds
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
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
