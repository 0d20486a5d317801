using System.Net;
using System.Text.RegularExpressions;

namespace Konfido.Node;

/// <summary>
/// Reads the single auto-posting form of a SAML HTTP-POST binding page (what a browser would
/// submit): its action and hidden fields. For the node's own pages only, not general HTML.
/// </summary>
internal static partial class HtmlForm
{
    public static (string Action, Dictionary<string, string> Fields) Read(string html)
    {
        var action = ActionPattern().Match(html);
        if (!action.Success)
        {
            throw new InvalidOperationException("the page has no form to post");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match input in HiddenPattern().Matches(html))
        {
            fields[WebUtility.HtmlDecode(input.Groups["name"].Value)] = WebUtility.HtmlDecode(input.Groups["value"].Value);
        }

        return (WebUtility.HtmlDecode(action.Groups["action"].Value), fields);
    }

    [GeneratedRegex("<form[^>]*\\saction=\"(?<action>[^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex ActionPattern();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex HiddenPattern();
}
