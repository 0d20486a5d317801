using System.Net;
using Konfido.Exchange;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// The console's page: a few static files embedded in the assembly (no build step, no third-party
/// code), served at <c>/console/</c> on the local listener with a strict Content-Security-Policy
/// (scripts, styles and connections from this origin only; no inline script; no framing).
/// </summary>
internal static class ConsoleAssets
{
    /// <summary>The policy every console response carries.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string Prefix = "Konfido.Node.Console.wwwroot.";

    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    public static void Map(WebApplication app, NodeComponents components)
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var files = new Dictionary<string, (byte[] Bytes, string Type)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var file = name[Prefix.Length..];
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[file] = (copy.ToArray(), Types.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream"));
        }

        app.MapGet("/console/{file?}", async (HttpContext context, string? file) =>
        {
            RequireLocalListener(context, components);
            if (string.IsNullOrEmpty(file) && context.Request.Path.Value?.EndsWith('/') != true)
            {
                // Relative links of the page resolve under /console/.
                context.Response.Redirect("/console/");
                return;
            }

            if (!files.TryGetValue(string.IsNullOrEmpty(file) ? "index.html" : file, out var asset))
            {
                throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"the console has no file '{file}'");
            }

            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers.XFrameOptions = "DENY";
            headers.CacheControl = "no-cache";
            context.Response.ContentType = asset.Type;
            await context.Response.Body.WriteAsync(asset.Bytes, context.RequestAborted).ConfigureAwait(false);
        });
    }

    /// <summary>404 unless the request came in on the local listener (the console is not for other countries' nodes).</summary>
    public static void RequireLocalListener(HttpContext context, NodeComponents components)
    {
        if (context.Connection.LocalPort != components.LocalEndpoint.Port)
        {
            throw new ExchangeException(HttpStatusCode.NotFound, "not-supported", $"no such endpoint: {context.Request.Method} {context.Request.Path}");
        }
    }
}
