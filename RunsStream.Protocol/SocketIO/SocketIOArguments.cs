using System.Text.Json;
using RunsStream.Protocol.SocketIO.Parser;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// The arguments of a received event or ack: JSON values (binary attachments appear as
/// placeholders) plus the attachments themselves. Passing the instance back to
/// <see cref="SocketIOSocket.Emit(string, SocketIOArguments)"/> re-sends them unchanged,
/// binary included.
/// </summary>
public sealed class SocketIOArguments
{
    private readonly JsonElement _array;
    private readonly int _offset;

    internal SocketIOArguments(JsonElement array, int offset, IReadOnlyList<byte[]> attachments)
    {
        _array = array;
        _offset = offset;
        Attachments = attachments;
    }

    /// <summary>No arguments.</summary>
    public static readonly SocketIOArguments Empty = new(JsonDocument.Parse("[]").RootElement.Clone(), 0, Array.Empty<byte[]>());

    /// <summary>The number of arguments.</summary>
    public int Count => _array.GetArrayLength() - _offset;

    /// <summary>The binary attachments, in placeholder order.</summary>
    public IReadOnlyList<byte[]> Attachments { get; }

    /// <summary>The raw JSON value of argument <paramref name="index"/>.</summary>
    public JsonElement this[int index] => (uint)index < (uint)Count ? _array[_offset + index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>True when argument <paramref name="index"/> is a binary attachment.</summary>
    public bool IsBinary(int index) => BinaryPlaceholder.TryGetIndex(this[index], out _);

    /// <summary>The bytes of a binary value: an argument or a placeholder nested anywhere in one.</summary>
    public byte[] GetBytes(JsonElement placeholder)
    {
        if (BinaryPlaceholder.TryGetIndex(placeholder, out var num) && (uint)num < (uint)Attachments.Count)
        {
            return Attachments[num];
        }
        throw new InvalidOperationException("The value is not a binary attachment.");
    }

    /// <summary>The bytes of argument <paramref name="index"/>, which must be a binary placeholder.</summary>
    public byte[] GetBytes(int index) => GetBytes(this[index]);

    /// <summary>Deserializes argument <paramref name="index"/>; null when it is missing.</summary>
    public T? Get<T>(int index, JsonSerializerOptions? options = null)
    {
        if (index >= Count)
        {
            return default;
        }
        return this[index].Deserialize<T>(options ?? SocketIOJson.DefaultOptions);
    }

    internal void WriteTo(Utf8JsonWriter writer)
    {
        for (var i = _offset; i < _array.GetArrayLength(); i++)
        {
            _array[i].WriteTo(writer);
        }
    }

    /// <summary>The arguments as a JSON array (placeholders for the binary ones).</summary>
    public override string ToString() => _array.GetRawText();
}
