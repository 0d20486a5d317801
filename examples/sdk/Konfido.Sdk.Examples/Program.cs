using Konfido.Sdk.Examples;

// Usage: Konfido.Sdk.Examples <01|02|03|04> --node URL [--pin SHA256 [--tls-issuer BASE64]] [--operator PERSON] [--patient PERSON]
//        [--trust-list FILE --operator-key FILE]
// Against `konfido demo --serve`: the Danish node's local URL, operator DK/DK/D0001, patient DK/DK/120356-1233,
// and the federation folder's trust list and operator key.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Konfido.Sdk.Examples <01|02|03|04> --node URL [--pin SHA256 [--tls-issuer BASE64]] [--operator PERSON] [--patient PERSON] [--trust-list FILE --operator-key FILE]");
    return 2;
}

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var node = Option("--node");
if (node is null || !Uri.TryCreate(node, UriKind.Absolute, out var uri))
{
    Console.Error.WriteLine("--node: an https:// URL of the node's local API is required");
    return 2;
}

var settings = new ExampleSettings(uri, Option("--pin"), Option("--operator") ?? "DK/DK/D0001", Option("--patient") ?? "DK/DK/120356-1233",
    Option("--trust-list") is { } trustList ? File.ReadAllText(trustList) : null,
    Option("--operator-key") is { } key ? File.ReadAllText(key) : null,
    Path.Combine(Path.GetTempPath(), "konfido-sdk-examples"), Option("--tls-issuer"));
switch (args[0])
{
    case "01":
        await EnrolDeviceExample.RunAsync(settings, Console.Out);
        break;
    case "02":
        await UploadReadingsExample.RunAsync(settings, Console.Out);
        break;
    case "03":
        await MyAccessReportExample.RunAsync(settings, Console.Out);
        break;
    case "04":
        await ConsentExample.RunAsync(settings, Console.Out);
        break;
    default:
        Console.Error.WriteLine($"unknown example '{args[0]}' (01..04)");
        return 2;
}

return 0;
