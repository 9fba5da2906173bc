# Installs the Flock agent on Windows from the console at __CONSOLE__, which serves this script:
#   $env:FLOCK_PAIRING_CODE='CODE'; irm __CONSOLE__/install.ps1 | iex
# It checks Node.js, downloads the agent and its launcher, checks their SHA-256, then runs
# `flock-agent install`: it places them under %LOCALAPPDATA%\flock-agent, pairs with the console and
# registers a Scheduled Task that starts the agent at start-up ($env:FLOCK_NO_SERVICE='1': no task).
& {
  $ErrorActionPreference = 'Stop'
  $Console = '__CONSOLE__'
  $Pin = if ($env:FLOCK_FINGERPRINT) { $env:FLOCK_FINGERPRINT } else { '__PIN__' }
  $MinNode = [version]'__MIN_NODE__'
  $Files = @(
    @{ Name = 'flock-agent.mjs'; Url = '__AGENT_URL__'; Sha256 = '__AGENT_SHA256__' },
    @{ Name = 'launcher.mjs'; Url = '__LAUNCHER_URL__'; Sha256 = '__LAUNCHER_SHA256__' }
  )
  $Code = $env:FLOCK_PAIRING_CODE
  if (-not $Code) { throw "flock install: the pairing code is missing: copy the whole command from the console's `"Add machine`"" }
  if (-not (Get-Command node -ErrorAction SilentlyContinue)) {
    throw "flock install: Node.js $MinNode or newer is needed and there is no node on the PATH: install it (https://nodejs.org), then run this again"
  }
  $NodeVersion = (& node --version).Trim()
  if ([version]$NodeVersion.TrimStart('v') -lt $MinNode) {
    throw "flock install: Node.js $NodeVersion is too old: the agent needs Node.js $MinNode or newer (https://nodejs.org)"
  }
  $Temp = Join-Path ([IO.Path]::GetTempPath()) ('flock-install-' + [guid]::NewGuid())
  New-Item -ItemType Directory -Path $Temp | Out-Null
  try {
    Write-Host "flock install: downloading the Flock agent __VERSION__ from $Console"
    foreach ($File in $Files) {
      $Out = Join-Path $Temp $File.Name
      try { Invoke-WebRequest -UseBasicParsing -Uri ($Console + $File.Url) -OutFile $Out }
      catch { throw "flock install: could not download $Console$($File.Url) (is the console running and reachable from here?); nothing was installed" }
      $Actual = (Get-FileHash -Algorithm SHA256 -Path $Out).Hash.ToLowerInvariant()
      if ($Actual -ne $File.Sha256) {
        throw "flock install: $($File.Name) from the console does not match its SHA-256 (expected $($File.Sha256), got $Actual): it was changed on the way or on the console; nothing was installed"
      }
    }
    $Arguments = @('install', '--console', $Console, '--code', $Code)
    if ($Pin) { $Arguments += @('--fingerprint', $Pin) }
    if ($env:FLOCK_NO_SERVICE) { $Arguments += '--no-service' }
    & node (Join-Path $Temp 'flock-agent.mjs') @Arguments
    if ($LASTEXITCODE -ne 0) { throw 'flock install: the install did not finish (see above)' }
  } finally {
    Remove-Item -Recurse -Force -Path $Temp -ErrorAction SilentlyContinue
    Remove-Item Env:FLOCK_PAIRING_CODE -ErrorAction SilentlyContinue
  }
}
