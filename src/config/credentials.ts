/**
 * Credentials and TLS trust for a gateway behind `--web.config.file`: basic auth or a bearer token, from the
 * environment, a file (a mounted secret) or code, never from global_config.yaml. Nothing here puts a
 * secret into a message: errors name the option and the file, never the value.
 */
import { ConfigError, ConfigFileError, type ConfigProblemLocation } from '../errors.js';
import type { GatewayAccess } from '../gateway/endpoint.js';
import { basicAuthorization } from '../gateway/url-credentials.js';
import { FILE_LIMITS, readBoundedFile } from './bounded-file.js';
import type { MetricsOptions } from './options.js';

type CredentialOptions = Pick<
  MetricsOptions,
  'basicAuthUsername' | 'basicAuthPassword' | 'basicAuthPasswordFile' | 'bearerToken' | 'bearerTokenFile' | 'tlsCaFile' | 'gatewayAddr'
>;

/** What the gateway's endpoint takes (src/gateway/endpoint.ts): headers, and TLS trust (empty for plain http). */
export type GatewayCredentials = Required<GatewayAccess>;

/**
 * Combinations that cannot be meant; checked when the config is resolved, before any file is read.
 * `locate` tells where an option was set (file and line, variable), so the error points there.
 */
export function checkCredentialOptions(
  options: CredentialOptions,
  locate: (property: keyof MetricsOptions) => ConfigProblemLocation = (property) => ({ source: 'configuration', path: property }),
): void {
  const clash = (property: keyof MetricsOptions, what: string, hint: string): never => {
    throw new ConfigError(locate(property), hint, what);
  };
  const hasPassword = options.basicAuthPassword !== undefined || options.basicAuthPasswordFile !== undefined;
  const hasToken = options.bearerToken !== undefined || options.bearerTokenFile !== undefined;
  const passwordProperty = options.basicAuthPassword !== undefined ? 'basicAuthPassword' : 'basicAuthPasswordFile';
  if (options.basicAuthPassword !== undefined && options.basicAuthPasswordFile !== undefined) {
    clash('basicAuthPasswordFile', 'both basic_auth_password and basic_auth_password_file', 'one of them');
  }
  if (options.bearerToken !== undefined && options.bearerTokenFile !== undefined) {
    clash('bearerTokenFile', 'both bearer_token and bearer_token_file', 'one of them');
  }
  if (hasPassword !== (options.basicAuthUsername !== undefined)) {
    clash(
      hasPassword ? passwordProperty : 'basicAuthUsername',
      hasPassword ? 'a password without a user' : 'a user without a password',
      'basic_auth_username together with basic_auth_password(_file)',
    );
  }
  if (hasPassword && hasToken) clash(options.bearerToken !== undefined ? 'bearerToken' : 'bearerTokenFile', 'both basic auth and a bearer token', 'one way to authenticate');
}

/** Headers and TLS options for the transport; reads the secret files (ConfigFileError if unreadable). */
export function gatewayCredentials(options: CredentialOptions): GatewayCredentials {
  checkCredentialOptions(options);
  const headers: Record<string, string> = {};
  const password = options.basicAuthPassword ?? readSecret(options.basicAuthPasswordFile);
  if (options.basicAuthUsername !== undefined && password !== undefined) {
    headers['authorization'] = basicAuthorization(options.basicAuthUsername, password);
  }
  const token = options.bearerToken ?? readSecret(options.bearerTokenFile);
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const connect: Record<string, unknown> = {};
  if (options.tlsCaFile !== undefined) connect['ca'] = readBoundedFile(options.tlsCaFile, 'tls_ca_file', FILE_LIMITS.ca);
  return { headers, connect };
}

/** The secret in `file` (its first line), as the *_FILE options read it; undefined for no file. */
export function readSecret(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  // A file written by `echo` or a Kubernetes secret ends in a newline that is not part of the secret.
  const text = readBoundedFile(file, 'secret file', FILE_LIMITS.secret).replace(/\r?\n$/, '');
  if (text === '') throw new ConfigFileError(file, 'is empty (expected the secret on its first line)');
  return text;
}
