namespace Konfido.Core;

/// <summary>
/// Computes HMAC-SHA-256 (RFC 2104) of <paramref name="data"/> into <paramref name="mac"/> (32 bytes) under a key the
/// caller never holds: typically a key-custody secret, used through the custody for each call.
/// </summary>
/// <param name="data">The message.</param>
/// <param name="mac">Receives the 32-byte MAC.</param>
public delegate void KeyedHash(ReadOnlySpan<byte> data, Span<byte> mac);
