# Regenerates tests/vectors/fme/corpus/*.getflag.json from /work/shared/vectors/fme/corpus (see SOURCES.md).
# Extracts the getFlag decisions of the corpus runs without storage into compact files.
import json, sys, os
src='/work/shared/vectors/fme/corpus'; out='/work/wt-fme/tests/vectors/fme/corpus'
idx=json.load(open(f'{src}/INDEX.json'))
for f in idx['files']:
    if f['launch'].get('storage'): continue
    d=json.load(open(f'{src}/{f["file"]}'))
    batched = 'batchEventData' in f['launch']
    cases=[]
    for c in d['cases']:
        r=c['request']
        if r['api']=='updateSettings' or r['api']=='init': break  # later requests decide on other settings
        if r['api']!='getFlag' or c['raised'] or c['result'] is None: continue
        e={'request':r,'isEnabled':c['result']['isEnabled'],'variables':c['result']['variables']}
        if not batched:
            ev=[b for b in c['events'] if b['url'].endswith('/server-side/batch-events-v2')]
            e['impressions']=[[p['d']['event']['props'].get('id'),p['d']['event']['props'].get('variation')] for b in ev for p in (b['body'] or {}).get('ev',[])]
        cases.append(e)
    doc={'source':f'/work/shared/vectors/fme/corpus/{f["file"]} (sha256 {f["sha256"]})','settings':d['settings'],'cases':cases}
    name=f['file'].replace('.json','.getflag.json')
    json.dump(doc,open(f'{out}/{name}','w'),ensure_ascii=False,separators=(',',':'))
    print(name,len(cases),os.path.getsize(f'{out}/{name}'))
