using System.Buffers;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace RunsStream.Tests.Support;

/// <summary>
/// Shared pieces of the codec fuzz tests (FsCheck): arbitrary bytes biased towards the bytes a
/// codec branches on, mutations of valid encodings, a run that fails instead of hanging, and a
/// decode wrapper that lets only the protocol's own error through and bounds what it allocates.
/// </summary>
public static class Fuzz
{
    /// <summary>A whole property run gets this long; a decoder that loops forever fails the test here.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>Byte strings of 0 to <paramref name="maxLength"/> bytes; half of the bytes come from <paramref name="interesting"/>.</summary>
    public static Gen<byte[]> Bytes(int maxLength, params byte[] interesting)
    {
        var any = Gen.Choose(0, 255).Select(b => (byte)b);
        var one = interesting.Length == 0 ? any : Gen.Frequency((1, any), (1, Gen.Elements(interesting)));
        return Gen.Choose(0, maxLength).SelectMany(length => Gen.ArrayOf(one, length));
    }

    /// <summary>
    /// A valid encoding with one to four mutations: bit flips, a byte set to an interesting value,
    /// truncation, insertion, deletion or duplication of a range. The mutations are drawn from a
    /// seed that FsCheck generates, so a failing case replays from FsCheck's printed seed.
    /// </summary>
    public static Gen<byte[]> Mutated(Gen<byte[]> valid, params byte[] interesting) =>
        from bytes in valid
        from count in Gen.Choose(1, 4)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select Mutate(bytes, count, new Random(seed), interesting);

    public static byte[] Mutate(byte[] input, int count, Random random, byte[] interesting)
    {
        var bytes = new List<byte>(input);
        for (var n = 0; n < count; n++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0 && interesting.Length > 0:
                    bytes[random.Next(bytes.Count)] = interesting[random.Next(interesting.Length)];
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    var inserted = new byte[random.Next(1, 9)];
                    for (var i = 0; i < inserted.Length; i++)
                    {
                        inserted[i] = interesting.Length > 0 && random.Next(2) == 0
                            ? interesting[random.Next(interesting.Length)]
                            : (byte)random.Next(256);
                    }
                    bytes.InsertRange(at, inserted);
                    break;
                case 4:
                    bytes.RemoveRange(at, random.Next(bytes.Count - at + 1));
                    break;
                default:
                    var length = random.Next(bytes.Count - at + 1);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>
    /// Checks <paramref name="property"/> on <paramref name="maxTest"/> cases on a thread of its
    /// own; a run past <see cref="Deadline"/> fails as a hang. FsCheck's failure message holds the
    /// seed and the (shrunk) input; FUZZ_REPLAY="seed,gamma,size" replays that failing step.
    /// </summary>
    public static void Check(Property property, int maxTest)
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(maxTest).WithQuietOnSuccess(true);
        if (Environment.GetEnvironmentVariable("FUZZ_REPLAY") is { Length: > 0 } replay)
        {
            // "seed,gamma,size" as FsCheck prints it after "Replay directly at failing step with".
            var parts = replay.Trim('(', ')', ' ').Split(',', StringSplitOptions.TrimEntries);
            var rnd = new Rnd(ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture));
            var size = parts.Length > 2 ? FSharpOption<int>.Some(int.Parse(parts[2], CultureInfo.InvariantCulture)) : FSharpOption<int>.None;
            config = config.WithReplay(FSharpOption<Replay>.Some(new Replay(rnd, size)));
        }
        var run = Task.Factory.StartNew(() => FsCheck.Check.One(config, property), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        bool finished;
        try
        {
            finished = run.Wait(Deadline);
        }
        catch (AggregateException)
        {
            finished = true;
        }
        if (!finished)
        {
            Assert.Fail($"{maxTest} decodes did not finish within {Deadline}: a decoder hangs");
        }
        run.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Runs <paramref name="decode"/> and returns its result, or null when it threw
    /// <typeparamref name="TError"/>; any other exception escapes and fails the property. The
    /// decode runs twice (the first warms up lazily initialised statics) and the second may
    /// allocate at most <paramref name="maxAllocatedBytes"/> on this thread.
    /// </summary>
    public static Outcome<T> Decode<T, TError>(Func<T> decode, long maxAllocatedBytes)
        where TError : Exception
    {
        Attempt<T, TError>(decode);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var outcome = Attempt<T, TError>(decode);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > maxAllocatedBytes)
        {
            throw new InvalidOperationException($"the decode allocated {allocated} bytes, over its bound of {maxAllocatedBytes}");
        }
        return outcome;
    }

    private static Outcome<T> Attempt<T, TError>(Func<T> decode)
        where TError : Exception
    {
        try
        {
            return new Outcome<T>(decode(), null);
        }
        catch (TError error)
        {
            return new Outcome<T>(default, error.Message);
        }
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/> whole, split in two segments at every point and split in
    /// three, and throws unless every split decodes as the whole does: where a network read ends
    /// must not change what a reader makes of the bytes.
    /// </summary>
    public static void AssertSameHoweverSplit<T>(byte[] bytes, Func<ReadOnlySequence<byte>, Outcome<T>> decode)
    {
        var whole = decode(new ReadOnlySequence<byte>(bytes));
        for (var at = 0; at <= bytes.Length; at++)
        {
            var split = decode(RawFrames.Segmented(bytes[..at], bytes[at..]));
            if (!split.Equals(whole))
            {
                throw new InvalidOperationException($"split at {at}: {split} instead of {whole}");
            }
        }
        var third = bytes.Length / 3;
        var three = decode(RawFrames.Segmented(bytes[..third], bytes[third..(2 * third)], bytes[(2 * third)..]));
        if (!three.Equals(whole))
        {
            throw new InvalidOperationException($"split in three: {three} instead of {whole}");
        }
    }

    /// <summary>What a decode gave: a value, or the message of the protocol error it threw.</summary>
    public readonly record struct Outcome<T>(T? Value, string? Error)
    {
        public bool Failed => Error is not null;
    }
}
