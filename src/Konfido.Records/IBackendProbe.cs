namespace Konfido.Records;

/// <summary>A national back end that can tell, without a patient query, whether its store answers.</summary>
public interface IBackendProbe
{
    /// <summary>
    /// Opens a connection to the store and runs a trivial statement. Throws what a patient query would throw
    /// if the store cannot be reached (a <see cref="System.Data.Common.DbException"/>, a socket or I/O error, a timeout).
    /// </summary>
    /// <param name="cancellationToken">Cancels the probe.</param>
    Task ProbeAsync(CancellationToken cancellationToken = default);
}
