// English and Brazilian Portuguese labels; pt-BR when the browser asks for Portuguese.

const en = {
  appName: "Social Media Metrics",
  signIn: "Sign in",
  signInTitle: "Sign in with your API key",
  apiKey: "API key",
  apiKeyHint: "Kept in this tab's memory only; closing the tab signs you out.",
  signOut: "Sign out",
  language: "Language",
  navAccounts: "Accounts",
  navCompare: "Compare",
  navPrivacy: "Privacy",
  navAdmin: "Admin",
  loading: "Loading…",
  empty: "Nothing here yet.",
  error: "Something went wrong",
  platform: "Platform",
  status: "Status",
  all: "All",
  filter: "Filter",
  account: "Account",
  tokenExpires: "Token expires",
  lastSuccess: "Last successful collection",
  nextRun: "Next run",
  lastRun: "Last run",
  never: "never",
  noRun: "no run yet",
  statusActive: "active",
  statusReauth: "reauthorisation required",
  statusNotFound: "not found",
  statusRevoked: "revoked",
  statusPaused: "paused by quota until",
  open: "Open",
  interval: "Interval",
  day: "Day",
  week: "Week",
  month: "Month",
  from: "From",
  to: "To",
  apply: "Apply",
  charts: "Charts",
  dataTable: "Data points",
  bucket: "Period start",
  value: "Value",
  points: "Points",
  gap: "gap: the platform returned nothing",
  gaps: "Gaps",
  noGaps: "no gaps",
  renamed: "renamed",
  deprecation: "Metric renamed by the platform",
  downloadCsv: "Download CSV (what is on screen)",
  downloadRaw: "Download raw points (CSV)",
  topPosts: "Top posts",
  post: "Post",
  sortBy: "Sort by",
  noPosts: "No post metrics in this range.",
  noMetrics: "No metrics in this range.",
  runs: "Recent runs",
  outcome: "Outcome",
  started: "Started",
  parts: "Parts",
  back: "Back to accounts",
  compareTitle: "Compare accounts",
  metric: "Metric",
  accountsToCompare: "Accounts",
  chooseAccounts: "Choose at least one account.",
  privacyTitle: "Privacy and consent",
  consentState: "Current consent",
  consentHistory: "Consent history",
  purpose: "Purpose",
  given: "given",
  withdrawn: "withdrawn",
  noConsent: "No consent recorded.",
  recordedAt: "Recorded",
  policy: "Policy version",
  giveConsent: "Give consent",
  withdrawConsent: "Withdraw consent",
  exportData: "Export my data",
  exportDone: "Export downloaded.",
  erase: "Request erasure",
  eraseWarning:
    "Erasure deletes your tokens, metrics, keys and consents. It cannot be undone. Type your e-mail address to confirm.",
  eraseConfirm: "Erase everything",
  cancel: "Cancel",
  emailMismatch: "The e-mail address does not match.",
  erased: "Your data was erased. You have been signed out.",
  adminTitle: "Users",
  users: "Users",
  name: "Name",
  email: "E-mail",
  role: "Role",
  created: "Created",
  accounts: "Accounts",
  createUser: "Create user",
  create: "Create",
  keyOnce: "The new user's API key. It is shown only once: copy it now.",
  copied: "Copied",
  copy: "Copy",
  adminOnly: "Administrators only.",
  accountNotFound: "Account not found.",
  gapsIn: "Gaps in",
  skip: "Skip to content",
};

export type Labels = typeof en;
export type Key = keyof Labels;

const ptBR: Labels = {
  appName: "Métricas de Redes Sociais",
  signIn: "Entrar",
  signInTitle: "Entre com sua chave de API",
  apiKey: "Chave de API",
  apiKeyHint: "Mantida apenas na memória desta aba; fechar a aba encerra a sessão.",
  signOut: "Sair",
  language: "Idioma",
  navAccounts: "Contas",
  navCompare: "Comparar",
  navPrivacy: "Privacidade",
  navAdmin: "Administração",
  loading: "Carregando…",
  empty: "Nada por aqui ainda.",
  error: "Algo deu errado",
  platform: "Plataforma",
  status: "Situação",
  all: "Todas",
  filter: "Filtrar",
  account: "Conta",
  tokenExpires: "Token expira",
  lastSuccess: "Última coleta com sucesso",
  nextRun: "Próxima coleta",
  lastRun: "Última execução",
  never: "nunca",
  noRun: "nenhuma execução ainda",
  statusActive: "ativa",
  statusReauth: "reautorização necessária",
  statusNotFound: "não encontrada",
  statusRevoked: "revogada",
  statusPaused: "pausada por cota até",
  open: "Abrir",
  interval: "Intervalo",
  day: "Dia",
  week: "Semana",
  month: "Mês",
  from: "De",
  to: "Até",
  apply: "Aplicar",
  charts: "Gráficos",
  dataTable: "Pontos de dados",
  bucket: "Início do período",
  value: "Valor",
  points: "Pontos",
  gap: "lacuna: a plataforma não retornou nada",
  gaps: "Lacunas",
  noGaps: "sem lacunas",
  renamed: "renomeada",
  deprecation: "Métrica renomeada pela plataforma",
  downloadCsv: "Baixar CSV (o que está na tela)",
  downloadRaw: "Baixar pontos brutos (CSV)",
  topPosts: "Melhores publicações",
  post: "Publicação",
  sortBy: "Ordenar por",
  noPosts: "Nenhuma métrica de publicação neste período.",
  noMetrics: "Nenhuma métrica neste período.",
  runs: "Execuções recentes",
  outcome: "Resultado",
  started: "Início",
  parts: "Partes",
  back: "Voltar às contas",
  compareTitle: "Comparar contas",
  metric: "Métrica",
  accountsToCompare: "Contas",
  chooseAccounts: "Escolha pelo menos uma conta.",
  privacyTitle: "Privacidade e consentimento",
  consentState: "Consentimento atual",
  consentHistory: "Histórico de consentimento",
  purpose: "Finalidade",
  given: "dado",
  withdrawn: "retirado",
  noConsent: "Nenhum consentimento registrado.",
  recordedAt: "Registrado em",
  policy: "Versão da política",
  giveConsent: "Dar consentimento",
  withdrawConsent: "Retirar consentimento",
  exportData: "Exportar meus dados",
  exportDone: "Exportação baixada.",
  erase: "Solicitar eliminação",
  eraseWarning:
    "A eliminação apaga seus tokens, métricas, chaves e consentimentos. Não pode ser desfeita. Digite seu e-mail para confirmar.",
  eraseConfirm: "Apagar tudo",
  cancel: "Cancelar",
  emailMismatch: "O e-mail não confere.",
  erased: "Seus dados foram eliminados. Sua sessão foi encerrada.",
  adminTitle: "Usuários",
  users: "Usuários",
  name: "Nome",
  email: "E-mail",
  role: "Papel",
  created: "Criado em",
  accounts: "Contas",
  createUser: "Criar usuário",
  create: "Criar",
  keyOnce: "A chave de API do novo usuário. Ela aparece só uma vez: copie agora.",
  copied: "Copiada",
  copy: "Copiar",
  adminOnly: "Somente administradores.",
  accountNotFound: "Conta não encontrada.",
  gapsIn: "Lacunas em",
  skip: "Pular para o conteúdo",
};

const METRIC_LABELS: Record<string, { en: string; pt: string }> = {
  followers: { en: "Followers", pt: "Seguidores" },
  reach: { en: "Reach", pt: "Alcance" },
  views: { en: "Views", pt: "Visualizações" },
  impressions: { en: "Impressions", pt: "Impressões" },
  engagements: { en: "Engagement", pt: "Engajamento" },
  likes: { en: "Likes", pt: "Curtidas" },
  comments: { en: "Comments", pt: "Comentários" },
  shares: { en: "Shares", pt: "Compartilhamentos" },
  saves: { en: "Saves", pt: "Salvamentos" },
  video_views: { en: "Video views", pt: "Visualizações de vídeo" },
  profile_views: { en: "Profile views", pt: "Visitas ao perfil" },
  follows_gained: { en: "New followers", pt: "Novos seguidores" },
  page_likes: { en: "Page likes", pt: "Curtidas da página" },
  messages_sent: { en: "Messages sent", pt: "Mensagens enviadas" },
  messages_delivered: { en: "Messages delivered", pt: "Mensagens entregues" },
  messages_read: { en: "Messages read", pt: "Mensagens lidas" },
  messages_failed: { en: "Messages failed", pt: "Mensagens com falha" },
};

export type Lang = "en" | "pt-BR";
const tables: Record<Lang, Labels> = { en, "pt-BR": ptBR };
let current: Lang = "en";

export function preferredLanguage(languages: readonly string[]): Lang {
  const first = languages[0] ?? "en";
  return first.toLowerCase().startsWith("pt") ? "pt-BR" : "en";
}

export function setLanguage(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function language(): Lang {
  return current;
}

export function t(key: Key): string {
  return tables[current][key];
}

export function metricLabel(metric: string): string {
  const label = METRIC_LABELS[metric];
  if (!label) return metric;
  return current === "pt-BR" ? label.pt : label.en;
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(current).format(value);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return t("never");
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  return new Intl.DateTimeFormat(current, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(moment) + " UTC";
}

export function formatDay(iso: string): string {
  return iso.slice(0, 10);
}
