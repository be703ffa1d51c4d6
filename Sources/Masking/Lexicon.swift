/// Word lists for telling names from other capitalised words. Lowercased.
enum Lexicon {
    /// Common first names in Sweden: these count as names even at the start of a sentence.
    /// (Names that are also ordinary words at a sentence start – Per, Jan, Hans, Lova – are left out.)
    static let firstNames: Set<String> = [
        "adam", "ahmed", "ali", "alice", "alva", "amanda", "amina", "anders", "andreas", "anna", "anton", "arvid",
        "astrid", "axel", "aisha", "birgitta", "britt", "camilla", "carina", "cecilia", "charlotte", "daniel",
        "david", "ebba", "elias", "elin", "ella", "elsa", "emil", "emma", "erik", "eva", "fatima", "filip",
        "fredrik", "gustav", "hamid", "hanna", "hassan", "hugo", "ibrahim", "ida", "ingrid", "isak", "jenny",
        "johan", "johanna", "jonas", "josefin", "julia", "kalle", "karin", "karl", "kerstin", "lars", "leila",
        "lena", "leo", "liam", "linda", "lisa", "lucas", "magnus", "maja", "malin", "maria", "marie", "mats",
        "mattias", "mikael", "moa", "mohammed", "mohammad", "muhammad", "mustafa", "nils", "noah", "noor", "nora",
        "olivia", "olle", "omar", "oscar", "oskar", "peter", "rebecka", "saga", "sami", "sara", "selma", "simon",
        "sixten", "sofia", "stefan", "stina", "theo", "thomas", "ulla", "vera", "viktor", "vincent", "wilma",
        "william", "yasmin", "yusuf", "zahra", "zeynep", "amir", "fredrika", "lotta", "pelle", "sven", "ulf",
    ]

    /// Capitalised words that are not people: days, months, authorities, places, systems, pronouns.
    static let capitalisedWords: Set<String> = [
        // Days, months, holidays
        "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag", "monday", "tuesday", "wednesday",
        "thursday", "friday", "saturday", "sunday", "januari", "februari", "mars", "april", "maj", "juni", "juli",
        "augusti", "september", "oktober", "november", "december", "january", "february", "march", "may", "june",
        "july", "august", "october", "jul", "påsk", "midsommar", "nyår",
        // Pronouns and small words that are capitalised after a dash or in a heading
        "jag", "du", "vi", "ni", "han", "hon", "hen", "de", "den", "det", "man", "min", "mitt", "vår", "vårt",
        "våra", "i", "the", "a", "an", "we", "our", "it", "this", "that", "och", "eller", "men", "hej", "tack",
        "ok", "okej", "mvh", "obs", "ps", "dnr", "diarienummer", "ärende", "skav",
        // Authorities, organisations, units
        "socialtjänsten", "socialtjänst", "socialnämnden", "socialstyrelsen", "socialförvaltningen", "ivo",
        "inspektionen", "försäkringskassan", "skatteverket", "migrationsverket", "polisen", "arbetsförmedlingen",
        "kronofogden", "region", "regionen", "kommun", "kommunen", "kommunstyrelsen", "skolverket", "skolinspektionen",
        "jo", "justitieombudsmannen", "förvaltningsrätten", "kammarrätten", "tingsrätten", "bup", "bvc", "vårdcentralen",
        "barnahus", "barnahuset", "statens", "institutionsstyrelse", "sis", "skr", "sveriges", "kommuner", "regioner",
        "socialförvaltning", "skola", "skolan", "förskola", "vård", "omsorg", "social", "services", "swedish",
        "english", "lag", "lagen", "hälso", "sjukvård", "äldreförvaltningen", "stadsledningsförvaltningen",
        "familjerätten", "mottagningen", "ekonomi", "individ", "familjeomsorg", "ifo", "funktionsstöd", "hr",
        // Places
        "sverige", "skåne", "norden", "europa", "stockholm", "göteborg", "malmö", "helsingborg", "uppsala", "lund",
        "linköping", "örebro", "västerås", "norrköping", "jönköping", "umeå", "luleå", "landskrona", "höganäs",
        "ängelholm", "sweden",
        // Systems and products
        "teams", "outlook", "excel", "word", "office", "microsoft", "google", "windows", "ipad", "iphone", "android",
        "matrix", "element", "procapita", "treserva", "lifecare", "viva", "combine", "pulsen", "tieto", "evry",
        "bankid", "freja", "covid", "corona", "sharepoint", "intranätet", "platina", "stratsys", "w3d3", "public",
        "chrome", "edge", "zoom", "skype", "journalsystemet",
    ]
}
