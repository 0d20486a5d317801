using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Konfido.Exchange;

/// <summary>
/// FHIR R4 JSON on the wire, through Firely's System.Text.Json converters (faster than the
/// element-model serialisers). Parsing is strict: malformed or non-conformant JSON is a
/// <see cref="FhirFormatException"/> with a message a client can act on.
/// </summary>
public static class FhirJson
{
    private static readonly JsonSerializerOptions Options = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>The FHIR JSON media type.</summary>
    public const string MediaType = "application/fhir+json";

    /// <summary>Serialises a resource to UTF-8 JSON. Requires a non-null resource.</summary>
    public static byte[] Serialize(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return JsonSerializer.SerializeToUtf8Bytes(resource, resource.GetType(), Options);
    }

    /// <summary>Parses UTF-8 JSON into a resource of type <typeparamref name="T"/>.</summary>
    /// <exception cref="FhirFormatException">The JSON is malformed, not FHIR, or not a <typeparamref name="T"/>.</exception>
    public static T Parse<T>(ReadOnlySpan<byte> utf8Json) where T : Resource
    {
        Resource? resource;
        try
        {
            resource = JsonSerializer.Deserialize<Resource>(utf8Json, Options);
        }
        // IndexOutOfRangeException, ArgumentException, ...: Firely's deserialiser on some malformed input, e.g. an empty
        // property name in a nested object (found by konfido fuzz); Konfido.Fhir's parser treats the same set as failures.
        catch (Exception ex) when (ex is JsonException or DeserializationFailedException or NotSupportedException or InvalidOperationException or FormatException
            or ArgumentException or IndexOutOfRangeException or InvalidCastException or OverflowException or KeyNotFoundException)
        {
            throw new FhirFormatException($"not a valid FHIR R4 JSON resource: {FirstLine(ex.Message)}", ex);
        }

        return resource switch
        {
            T typed => typed,
            null => throw new FhirFormatException("the body is empty (JSON null)"),
            _ => throw new FhirFormatException($"expected a {typeof(T).Name} resource, got {resource.TypeName}"),
        };
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        var line = end < 0 ? message : message[..end];
        return line.Length <= 300 ? line : line[..297] + "...";
    }
}

/// <summary>A request or response body that is not acceptable FHIR.</summary>
public sealed class FhirFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FhirFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public FhirFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public FhirFormatException() { }
}
