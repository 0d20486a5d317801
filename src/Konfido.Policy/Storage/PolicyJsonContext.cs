using System.Text.Json.Serialization;
using Konfido.Policy.Decisions;

namespace Konfido.Policy.Storage;

/// <summary>Source-generated JSON metadata for the records the policy component stores.</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BreakTheGlassReview))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
