namespace Konfido.Node;

/// <summary>What a member of the node's own staff may do in the web console.</summary>
public enum ConsoleRole
{
    /// <summary>Reads everything the console shows; changes nothing.</summary>
    Auditor,

    /// <summary>Reads everything, acknowledges alerts and decides break-the-glass reviews.</summary>
    Operator,
}

/// <summary>
/// A member of the node's own staff (an operator or auditor of the national contact point, not a
/// health professional): logs in with eIDAS like everyone else, then may use the web console only.
/// </summary>
/// <param name="PersonIdentifier">The eIDAS PersonIdentifier.</param>
/// <param name="FamilyName">Current family name.</param>
/// <param name="GivenName">Current given name.</param>
/// <param name="DateOfBirth">Date of birth.</param>
/// <param name="DisplayName">The name shown in the console and the audit trail.</param>
/// <param name="Role">Operator or auditor.</param>
public sealed record NodeStaffMember(string PersonIdentifier, string FamilyName, string GivenName, DateOnly DateOfBirth, string DisplayName, ConsoleRole Role)
{
    /// <summary>The natural person the eIDAS node asserts.</summary>
    public Konfido.Eid.Saml.EidasPerson Person => new(PersonIdentifier, FamilyName, GivenName, DateOfBirth);
}
