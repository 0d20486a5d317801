using System.Globalization;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Cda;

/// <summary>
/// HL7 V3 data types (CDA R2 / ISO 21090 subset: II, CD, TS, PQ, PN) to and from FHIR R4 data types,
/// with every loss written to the report.
/// </summary>
internal sealed class Hl7Data(CodeMaps maps, TransformationReport report)
{
    public static readonly XNamespace V3 = IheNames.Hl7;

    public CodeMaps Maps => maps;

    public TransformationReport Report => report;

    /// <summary>A child in the HL7, eHDSI pharm or epSOS medication namespace.</summary>
    public static XElement? Any(XElement? parent, string localName) =>
        parent?.Elements().FirstOrDefault(e => e.Name.LocalName == localName && IsClinical(e.Name.Namespace));

    public static IEnumerable<XElement> AnyAll(XElement? parent, string localName) =>
        parent?.Elements().Where(e => e.Name.LocalName == localName && IsClinical(e.Name.Namespace)) ?? [];

    private static bool IsClinical(XNamespace ns) => ns == V3 || ns == IheNames.Pharm || ns == IheNames.EpsosMedication;

    public static string Path(XElement element)
    {
        var parts = new Stack<string>();
        for (var e = element; e is not null; e = e.Parent)
        {
            var index = e.Parent is null ? 1 : e.Parent.Elements(e.Name).TakeWhile(s => s != e).Count() + 1;
            parts.Push(index > 1 ? $"{e.Name.LocalName}[{index}]" : e.Name.LocalName);
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>The text an element stands for: its reference into the section narrative, or its own text.</summary>
    public static string? Text(XElement? element, XElement? section)
    {
        if (element is null)
        {
            return null;
        }

        var reference = Any(element, "reference")?.Attr("value") ?? Any(Any(element, "originalText"), "reference")?.Attr("value");
        if (reference is { Length: > 1 } && reference[0] == '#' && section is not null)
        {
            var target = section.Element(V3 + "text")?.DescendantsAndSelf().FirstOrDefault(d => d.Attribute("ID")?.Value == reference[1..]);
            if (target is not null)
            {
                return Normalise(target.Value);
            }
        }

        var own = string.Concat(element.Nodes().OfType<XText>().Select(t => t.Value));
        return Normalise(own);
    }

    public static string? Normalise(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var collapsed = string.Join(' ', text.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        return collapsed.Length == 0 ? null : collapsed;
    }

    /// <summary>A CD/CE as a CodeableConcept (translations as further codings); null for an absent or null-flavoured code without text.</summary>
    public CodeableConcept? Concept(XElement? cd, XElement? section)
    {
        if (cd is null)
        {
            return null;
        }

        var concept = new CodeableConcept();
        foreach (var coded in new[] { cd }.Concat(AnyAll(cd, "translation")))
        {
            if (Coding(coded) is { } coding && !concept.Coding.Any(c => c.System == coding.System && c.Code == coding.Code))
            {
                concept.Coding.Add(coding);
            }
        }

        concept.Text = Text(Any(cd, "originalText"), section) ?? cd.Attr("displayName");
        return concept.Coding.Count == 0 && concept.Text is null ? null : concept;
    }

    public Coding? Coding(XElement cd)
    {
        var code = cd.Attr("code");
        var oid = cd.Attr("codeSystem");
        if (code is null || oid is null)
        {
            return null;
        }

        var system = maps.SystemUri(oid);
        if (system is null)
        {
            system = "urn:oid:" + oid;
            report.Info(Path(cd), $"code system {oid} ({cd.Attr("codeSystemName") ?? "unnamed"}) is not in the mapping table; carried as {system}");
        }

        return new Coding(system, code, cd.Attr("displayName"));
    }

    /// <summary>Writes a CodeableConcept as a CD named <paramref name="name"/>: first coding with a known OID as the code, the rest as translations.</summary>
    public XElement Cd(XName name, CodeableConcept? concept, string location, bool reportMissing = true)
    {
        var element = new XElement(name);
        var codings = concept?.Coding.Where(c => !string.IsNullOrEmpty(c.Code) && !string.IsNullOrEmpty(c.System)).Select(c => (System: c.System!, Code: c.Code!, c.Display)).ToList() ?? [];
        var first = true;
        foreach (var coding in codings)
        {
            var oid = maps.SystemOid(coding.System);
            if (oid is null)
            {
                report.Lossy(location, $"code {coding.Code} of system {coding.System} has no OID in the mapping table; kept only as text");
                continue;
            }

            var target = first ? element : new XElement(name.Namespace + "translation");
            target.Add(new XAttribute("code", coding.Code), new XAttribute("codeSystem", oid));
            if (maps.SystemName(oid) is { } systemName)
            {
                target.Add(new XAttribute("codeSystemName", systemName));
            }

            if (coding.Display is { Length: > 0 } display)
            {
                target.Add(new XAttribute("displayName", display));
            }

            if (!first)
            {
                element.Add(target);
            }

            first = false;
        }

        if (first)
        {
            element.Add(new XAttribute("nullFlavor", concept?.Text is null ? "UNK" : "OTH"));
            if (reportMissing && concept?.Text is null)
            {
                report.Info(location, "no code given; written as nullFlavor UNK");
            }
        }

        if (concept?.Text is { Length: > 0 } text)
        {
            element.AddFirst(new XElement(name.Namespace + "originalText", text));
        }

        return element;
    }

    /// <summary>An HL7 TS (yyyy[MM[dd[HH[mm[ss]]]]][+zzzz]) as a FHIR date or dateTime; null for absent or null-flavoured.</summary>
    public static string? FhirTime(string? ts)
    {
        if (ts is null || ts.Length < 4 || !ts[..4].All(char.IsAsciiDigit))
        {
            return null;
        }

        var sign = ts.IndexOfAny(['+', '-']);
        var digits = sign > 0 ? ts[..sign] : ts;
        var zone = sign > 0 ? ts[sign..] : null;
        var dot = digits.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            digits = digits[..dot];
        }

        return digits.Length switch
        {
            4 => digits,
            6 => $"{digits[..4]}-{digits[4..6]}",
            8 => $"{digits[..4]}-{digits[4..6]}-{digits[6..8]}",
            >= 12 => $"{digits[..4]}-{digits[4..6]}-{digits[6..8]}T{digits[8..10]}:{digits[10..12]}:{(digits.Length >= 14 ? digits[12..14] : "00")}{Zone(zone)}",
            _ => null,
        };

        static string Zone(string? zone) => zone is { Length: 5 } ? $"{zone[..3]}:{zone[3..]}" : "Z";
    }

    /// <summary>A FHIR date or dateTime as an HL7 TS.</summary>
    public static string? Hl7Time(string? fhir)
    {
        if (string.IsNullOrWhiteSpace(fhir))
        {
            return null;
        }

        if (fhir.Length > 10 && DateTimeOffset.TryParse(fhir, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            return instant.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + instant.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", string.Empty, StringComparison.Ordinal);
        }

        return fhir.Replace("-", string.Empty, StringComparison.Ordinal);
    }

    /// <summary>An II (root, extension) as a FHIR Identifier: system urn:oid:root (or the URI kept in assigningAuthorityName).</summary>
    public static Identifier? Identifier(XElement? ii)
    {
        if (ii?.Attr("extension") is not { } value)
        {
            return null;
        }

        var authority = ii.Attr("assigningAuthorityName");
        var system = authority is not null && authority.Contains(':', StringComparison.Ordinal) ? authority : ii.Attr("root") is { } root ? "urn:oid:" + root : null;
        return new Identifier(system, value);
    }

    /// <summary>An II for a FHIR identifier; a non-OID system gets a derived 2.25 root and keeps its URI in assigningAuthorityName.</summary>
    public XElement Ii(XName name, string? system, string value)
    {
        var element = new XElement(name);
        if (system is not null && maps.SystemOid(system) is { } oid)
        {
            element.Add(new XAttribute("root", oid));
        }
        else if (system is not null)
        {
            element.Add(new XAttribute("root", DerivedOid(system)), new XAttribute("assigningAuthorityName", system));
        }
        else
        {
            element.Add(new XAttribute("nullFlavor", "UNK"));
        }

        element.Add(new XAttribute("extension", value));
        return element;
    }

    /// <summary>A 2.25 OID (ITU-T X.667) derived from <paramref name="text"/>: the first 16 bytes of its SHA-256 as a UUID integer.</summary>
    public static string DerivedOid(string text)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));
        return "2.25." + new System.Numerics.BigInteger(hash.AsSpan(0, 16), isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }

    public static Quantity? Quantity(XElement? pq)
    {
        if (pq?.Attr("value") is not { } value || !decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        var unit = pq.Attr("unit");
        return unit is null or "1"
            ? new Quantity { Value = number }
            : new Quantity { Value = number, Unit = unit, System = "http://unitsofmeasure.org", Code = unit };
    }

    public static XElement Pq(XName name, Quantity? quantity)
    {
        if (quantity?.Value is not { } value)
        {
            return new XElement(name, new XAttribute("nullFlavor", "UNK"));
        }

        return new XElement(name, new XAttribute("value", value.ToString(CultureInfo.InvariantCulture)), new XAttribute("unit", quantity.Code ?? quantity.Unit ?? "1"));
    }

    public static HumanName? Name(XElement? pn)
    {
        if (pn is null || pn.Attr("nullFlavor") is not null)
        {
            return null;
        }

        var name = new HumanName
        {
            Family = Normalise(Any(pn, "family")?.Value),
            Given = AnyAll(pn, "given").Select(g => Normalise(g.Value)).OfType<string>().ToList(),
        };
        if (name.Family is null && name.Given.Count() == 0)
        {
            name.Text = Normalise(pn.Value);
        }

        return name.Family is null && name.Given.Count() == 0 && name.Text is null ? null : name;
    }

    public static XElement Pn(HumanName? name)
    {
        if (name is null)
        {
            return new XElement(V3 + "name", new XAttribute("nullFlavor", "NI"));
        }

        if (name.Family is null && name.Given.Count() == 0)
        {
            return new XElement(V3 + "name", name.Text ?? string.Empty);
        }

        return new XElement(V3 + "name", name.Given.Select(g => new XElement(V3 + "given", g)), name.Family is null ? null : new XElement(V3 + "family", name.Family));
    }

    public static string XhtmlParagraph(string text) =>
        $"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{System.Security.SecurityElement.Escape(text)}</p></div>";

    public static string Display(HumanName? name) =>
        name is null ? string.Empty : name.Text ?? string.Join(' ', name.Given.Append(name.Family).Where(s => !string.IsNullOrEmpty(s)));
}
