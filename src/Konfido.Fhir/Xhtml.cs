using System.Text;

namespace Konfido.Fhir;

/// <summary>Writes the small XHTML fragments FHIR narratives need (<c>Narrative.div</c>).</summary>
internal static class Xhtml
{
    /// <summary>The XHTML namespace every narrative div must declare.</summary>
    public const string Namespace = "http://www.w3.org/1999/xhtml";

    /// <summary>A div holding one paragraph of text.</summary>
    public static string Paragraph(string text) => $"<div xmlns=\"{Namespace}\"><p>{Escape(text)}</p></div>";

    /// <summary>A div holding a table with a header row and body rows (cells are plain text).</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.Append("<div xmlns=\"").Append(Namespace).Append("\"><table><thead><tr>");
        foreach (var h in headers)
        {
            sb.Append("<th>").Append(Escape(h)).Append("</th>");
        }

        sb.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row)
            {
                sb.Append("<td>").Append(Escape(cell)).Append("</td>");
            }

            sb.Append("</tr>");
        }

        sb.Append("</tbody></table></div>");
        return sb.ToString();
    }

    /// <summary>Escapes the five XML special characters.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '"' => sb.Append("&quot;"),
                '\'' => sb.Append("&#39;"),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }
}
