namespace Konfido.Siem.Parsing;

/// <summary>The input formats the SIEM parses.</summary>
public enum LogFormat
{
    /// <summary>Detect per line: syslog, CEF, ATNA XML, FHIR AuditEvent JSON or JSON.</summary>
    Auto,

    /// <summary>Syslog RFC 5424 or RFC 3164 (the payload is parsed further when it is ATNA, CEF or JSON).</summary>
    Syslog,

    /// <summary>An IHE ATNA audit message (RFC 3881 / DICOM PS3.15 AuditMessage XML), optionally in syslog.</summary>
    Atna,

    /// <summary>ArcSight Common Event Format, optionally after a syslog header.</summary>
    Cef,

    /// <summary>One JSON object per line (a FHIR AuditEvent is recognised).</summary>
    Json,
}
