using System.Runtime.InteropServices;

namespace Konfido.Custody.Storage;

/// <summary>
/// Durable, atomic file replacement: write a temporary file next to the target (mode 0600),
/// fsync it, rename it over the target, fsync the directory. A crash leaves either the old or the
/// new content, never a torn file.
/// </summary>
internal static partial class AtomicFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>; with <paramref name="overwrite"/>
    /// false, throws <see cref="IOException"/> if the file already exists.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, bool overwrite)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }

        SyncDirectory(directory);
    }

    /// <summary>Overwrites every byte of an open file with zeros and syncs them (best effort on
    /// copy-on-write file systems and flash), e.g. an old key record that was just replaced.</summary>
    public static void Overwrite(FileStream stream)
    {
        var zeros = new byte[4096];
        var remaining = stream.Length;
        stream.Position = 0;
        while (remaining > 0)
        {
            var n = (int)Math.Min(zeros.Length, remaining);
            stream.Write(zeros, 0, n);
            remaining -= n;
        }

        stream.Flush(flushToDisk: true);
    }

    /// <summary>Creates <paramref name="directory"/> (mode 0700) if it is missing.</summary>
    public static void EnsureDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return; // Best effort: the rename itself is atomic.
        }

        _ = Fsync(fd);
        _ = Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
